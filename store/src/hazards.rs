//! Hidden dangers in the store: reporting, every workflow action (one
//! transaction each), and the queries a tablet needs, all scoped to the
//! person asking (R2).

use super::{docs, photos, reference, Store};
use crate::error::{Error, Result, RuleError};
use chrono::NaiveDate;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::enterprise::RiskColour;
use paicha_core::hazard::{
    escalation, fold, next_event, overdue_days, Action, Escalation, Handling, Hazard, HazardKind, HistoryEntry, Level,
    Status,
};
use paicha_core::people::{Actor, Person, Role};
use paicha_core::photo::PhotoRef;
use paicha_core::policy::Policy;
use paicha_core::stats::{self, GroupBy, Period, StatsInput, StatsRow};
use paicha_core::time::{end_of_cst_day, Timestamp};
use paicha_core::workflow::Context;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;

/// What an inspector fills in to report a hidden danger. With an inspection
/// and item, the description, legal basis, sector and level are pre-filled
/// from the checklist item (R4).
#[derive(Debug, Clone, Default)]
pub struct NewHazard {
    /// Enterprise credit code.
    pub enterprise: String,
    /// The inspection that found it.
    pub inspection_id: Option<String>,
    /// The checklist item (needs `inspection_id`).
    pub item_code: Option<String>,
    /// Where in the plant.
    pub location: String,
    /// What is wrong (defaults to the item's question).
    pub description: Option<String>,
    /// Kind (defaults to unsafe condition).
    pub kind: Option<HazardKind>,
    /// Level (a `direct` criterion makes it major whatever is asked).
    pub level: Option<Level>,
    /// On the spot or by deadline (defaults to deadline).
    pub handling: Option<Handling>,
    /// Before photos, imported with [`Store::import_photo`].
    pub before_photos: Vec<PhotoRef>,
    /// Required measures.
    pub required_measures: String,
    /// Responsible person at the enterprise.
    pub responsible_person: String,
    /// Funds, yuan.
    pub funds: Option<f64>,
    /// The second inspector(s) issuing the order.
    pub co_inspectors: Vec<String>,
    /// A deadline shorter than the policy's window (R5).
    pub deadline: Option<NaiveDate>,
    /// Sector (defaults to the template's or the enterprise's first).
    pub sector: Option<String>,
}

/// Which hidden dangers to list.
#[derive(Debug, Clone, Default)]
pub struct HazardFilter {
    /// One township.
    pub township: Option<String>,
    /// One enterprise.
    pub enterprise: Option<String>,
    /// One status.
    pub status: Option<Status>,
    /// One level.
    pub level: Option<Level>,
    /// Raised in one inspection.
    pub inspection: Option<String>,
}

/// A hidden danger as lists show it: the projection row plus what is derived
/// from the clock (overdue days, escalation). Never loads a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardRow {
    /// Id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name.
    pub enterprise_name: String,
    /// Township.
    pub township: String,
    /// Grid.
    pub grid: String,
    /// Sector.
    pub sector: String,
    /// Risk colour.
    pub risk_colour: RiskColour,
    /// Level.
    pub level: Level,
    /// Status.
    pub status: Status,
    /// Handling.
    pub handling: Handling,
    /// Description.
    pub description: String,
    /// Reported at (device clock).
    pub reported_at: Timestamp,
    /// Reporter.
    pub reported_by: String,
    /// Current deadline.
    pub deadline: NaiveDate,
    /// Last evidence submission.
    pub submitted_at: Option<Timestamp>,
    /// Closure time.
    pub closed_at: Option<Timestamp>,
    /// Closure kind.
    pub closure_kind: Option<String>,
    /// Inspection.
    pub inspection_id: Option<String>,
    /// Checklist item.
    pub item_code: Option<String>,
    /// Listing level, if listed.
    pub listed: Option<String>,
    /// Conflicts waiting for a person (R14).
    pub open_conflicts: i64,
    /// When the enterprise asked to resume work (major).
    pub resumption_requested_at: Option<Timestamp>,
    /// Days past the deadline at the query's clock.
    pub overdue_days: i64,
    /// Escalation at the query's clock (R10).
    pub escalation: Escalation,
}

const ROW_COLUMNS: &str =
    "id, enterprise, enterprise_name, township, grid, sector, risk_colour, level, status, handling, \
     description, reported_at, reported_by, deadline, submitted_at, closed_at, closure_kind, inspection_id, item_code, \
     listed, open_conflicts, resumption_requested_at";

fn bad(column: &str, value: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("hazards.{column} holds '{value}'").into(),
    )
}

fn row_to_hazard_row(r: &Row, now: Timestamp, policy: &Policy) -> rusqlite::Result<HazardRow> {
    let text = |i: usize| r.get::<_, String>(i);
    let status = Status::parse(&text(8)?).map_err(|e| bad("status", e))?;
    let level = Level::parse(&text(7)?).map_err(|e| bad("level", e))?;
    let deadline_s = text(13)?;
    let deadline =
        NaiveDate::parse_from_str(&deadline_s, "%Y-%m-%d").map_err(|_| bad("deadline", deadline_s.clone()))?;
    Ok(HazardRow {
        id: text(0)?,
        enterprise: text(1)?,
        enterprise_name: text(2)?,
        township: text(3)?,
        grid: text(4)?,
        sector: text(5)?,
        risk_colour: RiskColour::parse(&text(6)?).map_err(|e| bad("risk_colour", e))?,
        level,
        status,
        handling: Handling::parse(&text(9)?).map_err(|e| bad("handling", e))?,
        description: text(10)?,
        reported_at: Timestamp(r.get(11)?),
        reported_by: text(12)?,
        deadline,
        submitted_at: r.get::<_, Option<i64>>(14)?.map(Timestamp),
        closed_at: r.get::<_, Option<i64>>(15)?.map(Timestamp),
        closure_kind: r.get(16)?,
        inspection_id: r.get(17)?,
        item_code: r.get(18)?,
        listed: r.get(19)?,
        open_conflicts: r.get(20)?,
        resumption_requested_at: r.get::<_, Option<i64>>(21)?.map(Timestamp),
        overdue_days: overdue_days(status, deadline, now),
        escalation: escalation(status, level, deadline, r.get::<_, Option<i64>>(21)?.map(Timestamp), now, policy),
    })
}

/// Statistics are computed from projection rows, never from documents.
impl From<&HazardRow> for StatsInput {
    fn from(r: &HazardRow) -> Self {
        StatsInput {
            township: r.township.clone(),
            sector: r.sector.clone(),
            enterprise: r.enterprise.clone(),
            risk_colour: r.risk_colour,
            level: r.level,
            status: r.status,
            reported_at: r.reported_at,
            deadline: r.deadline,
            closed_at: r.closed_at,
            on_site: r.closure_kind.as_deref() == Some("on_site"),
            listed: r.listed.is_some(),
        }
    }
}

pub(super) fn project(conn: &Connection, h: &Hazard, now: Timestamp) -> Result<()> {
    let submitted_at = h.evidence.last().map(|e| e.at.0);
    let closure_kind = h
        .closure
        .as_ref()
        .map(|c| serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default());
    let listed = h.listing.map(|l| format!("{l:?}").to_lowercase());
    let handling = h.handling.as_str();
    conn.execute(
        "INSERT OR REPLACE INTO hazards(id, enterprise, enterprise_name, township, grid, sector, risk_colour, level,
            status, handling, description, reported_at, reported_by, deadline, deadline_end, submitted_at, closed_at,
            closure_kind, inspection_id, item_code, listed, open_conflicts, updated_at, resumption_requested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
            ?23, ?24)",
        params![
            h.id,
            h.enterprise.credit_code,
            h.enterprise.name,
            h.enterprise.township,
            h.enterprise.grid,
            h.sector,
            h.enterprise.risk_colour.as_str(),
            h.level.as_str(),
            h.status.as_str(),
            handling,
            h.description,
            h.reported_at.0,
            h.reported_by,
            h.deadline.format("%Y-%m-%d").to_string(),
            end_of_cst_day(h.deadline).0,
            submitted_at,
            h.closure.as_ref().map(|c| c.at.0),
            closure_kind,
            h.inspection_id,
            h.item_code,
            listed,
            h.open_conflicts().count() as i64,
            now.0,
            h.resumption_requested_at.map(|t| t.0),
        ],
    )?;
    Ok(())
}

/// A record id: a UUID, unique across every tablet of the province.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An event id: 64 random bits, as 16 hex characters. It only has to be
/// unique among the events of one record, and it is repeated in every
/// child's `parents`, so it is kept short for the wire.
fn new_event_id() -> String {
    let b = uuid::Uuid::new_v4();
    super::hex(&b.as_bytes()[..8])
}

fn check_viewer(viewer: &Person, h_enterprise: &str, h_township: &str) -> Result<()> {
    if viewer.in_scope(h_enterprise, h_township) {
        Ok(())
    } else {
        Err(RuleError::new("R2", format!("{} has no scope over {h_enterprise} in {h_township}", viewer.id)).into())
    }
}

impl Store {
    fn load_hazard_events(&self, conn: &Connection, id: &str) -> Result<(RecordDoc, Vec<paicha_core::hazard::Event>)> {
        match docs::kind(conn, id)? {
            Some(DocKind::Hazard) => {}
            _ => return Err(Error::not_found("hidden danger", id)),
        }
        let doc = docs::load(conn, id, &self.actor)?.ok_or_else(|| Error::not_found("hidden danger", id))?;
        let events = doc.events()?;
        Ok((doc, events))
    }

    /// Applies `action` by `actor` inside an open transaction: the shared path
    /// of every workflow action.
    pub(super) fn act_in(
        &self,
        conn: &Connection,
        actor: Actor,
        hazard_id: &str,
        action: Action,
        now: Timestamp,
    ) -> Result<Hazard> {
        let (mut doc, mut events) = self.load_hazard_events(conn, hazard_id)?;
        let state = fold(hazard_id, &events).ok_or_else(|| Error::Document {
            id: hazard_id.into(),
            detail: "the record has no valid report event".into(),
        })?;
        let policy = reference::policy_in(conn)?;
        let ended = match &state.inspection_id {
            Some(i) => conn
                .query_row("SELECT ended_at FROM inspections WHERE id = ?1", [i], |r| r.get::<_, Option<i64>>(0))
                .optional()?
                .map(|ended| ended.map(Timestamp)),
            None => None,
        };
        let inspection_open = paicha_core::actions::inspection_open(ended, now);
        let ctx = Context { now, policy: &policy, inspection_open };
        let event = paicha_core::actions::hazard_event(hazard_id, &events, &actor, action, &ctx, new_event_id())?;
        photos::record_refs(conn, self, &event.action.photos(), now)?;
        doc.add_event(&event)?;
        docs::append(conn, &mut doc, now)?;
        events.push(event);
        let h = fold(hazard_id, &events)
            .ok_or_else(|| Error::Document { id: hazard_id.into(), detail: "fold lost the report".into() })?;
        project(conn, &h, now)?;
        Ok(h)
    }

    /// Reports a hidden danger as inspector `by` at `now`; for deadline
    /// handling this issues the rectification order with its deadline (R5).
    /// One transaction: on any error nothing is stored.
    pub fn report_hazard(&self, by: &str, new: NewHazard, now: Timestamp) -> Result<Hazard> {
        let photos = new.before_photos.clone();
        let result = self.report_in(by, new, now);
        self.after_refusal(&photos, result)
    }

    fn report_in(&self, by: &str, new: NewHazard, now: Timestamp) -> Result<Hazard> {
        self.write(|tx| {
            let reporter = reference::person_in(tx, by)?;
            let enterprise = reference::enterprise_in(tx, new.enterprise.trim())?;
            if new.item_code.is_some() && new.inspection_id.is_none() {
                return Err(Error::invalid("item", "an item code needs the inspection it belongs to"));
            }
            // Input checks with the tablet's own wording; the rules come after.
            let mut source: Option<(paicha_core::inspection::Inspection, paicha_core::template::Template)> = None;
            if let Some(insp_id) = &new.inspection_id {
                let doc =
                    docs::load(tx, insp_id, &self.actor)?.ok_or_else(|| Error::not_found("inspection", insp_id))?;
                let insp = doc.inspection()?;
                if insp.header.enterprise != enterprise.credit_code {
                    return Err(Error::invalid(
                        "inspection",
                        format!(
                            "inspection {insp_id} is of enterprise {}, not {}",
                            insp.header.enterprise, enterprise.credit_code
                        ),
                    ));
                }
                let t = reference::template_in(tx, &insp.header.template_id, Some(insp.header.template_version))?;
                if let Some(code) = &new.item_code {
                    let item = t.item(code).ok_or_else(|| {
                        Error::invalid(
                            "item",
                            format!("item {code} does not exist in template {} v{}", t.id, t.version),
                        )
                    })?;
                    if let Some(a) = insp.answers.get(code) {
                        if !paicha_core::inspection::is_finding(item, &a.value) {
                            return Err(Error::invalid(
                                "item",
                                format!(
                                    "item {code} was answered as conforming or not applicable; answer it again first"
                                ),
                            ));
                        }
                    }
                }
                source = Some((insp, t));
            }
            let mut co = vec![];
            for id in &new.co_inspectors {
                co.push(reference::person_in(tx, id)?);
            }
            let policy = reference::policy_in(tx)?;
            let ctx = Context { now, policy: &policy, inspection_open: None };
            let draft = paicha_core::actions::ReportDraft {
                item_code: new.item_code.clone(),
                location: new.location.clone(),
                description: new.description.clone(),
                kind: new.kind,
                level: new.level,
                handling: new.handling,
                before_photos: new.before_photos.clone(),
                required_measures: new.required_measures.clone(),
                responsible_person: new.responsible_person.clone(),
                funds: new.funds,
                deadline: new.deadline,
                sector: new.sector.clone(),
            };
            let src = source.as_ref().map(|(i, t)| paicha_core::reporting::Source { inspection: i, template: t });
            let action = paicha_core::actions::draft_report(
                &reporter,
                &self.device.device_id,
                co,
                &enterprise,
                src,
                draft,
                &ctx,
            )?;
            photos::record_refs(tx, self, &action.photos(), now)?;
            let id = new_id();
            let actor = paicha_core::actions::event_actor(&reporter, &self.device.device_id);
            let event = next_event(&[], new_event_id(), now, actor, action);
            let mut doc = RecordDoc::new(DocKind::Hazard, &id, &self.actor)?;
            doc.add_event(&event)?;
            docs::insert(tx, &mut doc, DocKind::Hazard, now)?;
            let h = fold(&id, std::slice::from_ref(&event))
                .ok_or_else(|| Error::Document { id: id.clone(), detail: "report did not fold".into() })?;
            project(tx, &h, now)?;
            Ok(h)
        })
    }

    /// Takes a workflow action on a hidden danger as person `by` at `now`
    /// (R5–R14). One durable transaction; on error nothing changes and the
    /// error names the rule.
    pub fn act(&self, by: &str, hazard_id: &str, action: Action, now: Timestamp) -> Result<Hazard> {
        let photos: Vec<PhotoRef> = action.photos().into_iter().cloned().collect();
        let result = self.write(|tx| {
            let actor = self.actor_in(tx, by)?;
            self.act_in(tx, actor, hazard_id, action, now)
        });
        self.after_refusal(&photos, result)
    }

    /// The full record, loaded from its document, for someone in scope (R2).
    pub fn hazard(&self, viewer: &str, id: &str) -> Result<Hazard> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let (_, events) = self.load_hazard_events(c, id)?;
            let mut h = fold(id, &events).ok_or_else(|| Error::Document {
                id: id.into(),
                detail: "the record has no valid report event".into(),
            })?;
            check_viewer(&viewer, &h.enterprise.credit_code, &h.enterprise.township)?;
            // R1: the server's receipt time, for events already synced.
            let mut stmt = c.prepare_cached("SELECT event_id, received_at FROM receipts WHERE doc_id = ?1")?;
            let receipts: std::collections::HashMap<String, i64> =
                stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            for e in &mut h.history {
                e.received_at = receipts.get(&e.event_id).map(|t| Timestamp(*t));
            }
            Ok(h)
        })
    }

    /// Every event of a record, applied or not, in order (R1).
    pub fn history(&self, viewer: &str, id: &str) -> Result<Vec<HistoryEntry>> {
        Ok(self.hazard(viewer, id)?.history)
    }

    fn query_rows(
        &self,
        viewer: &str,
        condition: &str,
        mut params: Vec<Value>,
        order: &str,
        now: Timestamp,
    ) -> Result<Vec<HazardRow>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let policy = reference::policy_in(c)?;
            let scope = super::scope_condition(&viewer, "", &mut params);
            let sql = format!("SELECT {ROW_COLUMNS} FROM hazards WHERE ({scope}) AND ({condition}) ORDER BY {order}");
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(params.iter()), |r| row_to_hazard_row(r, now, &policy))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Hidden dangers in `viewer`'s scope matching `filter`, newest first.
    pub fn list_hazards(&self, viewer: &str, filter: &HazardFilter, now: Timestamp) -> Result<Vec<HazardRow>> {
        let mut conds = vec!["1".to_string()];
        let mut params: Vec<Value> = vec![];
        let mut add = |col: &str, v: Option<String>, conds: &mut Vec<String>| {
            if let Some(v) = v {
                params.push(Value::Text(v));
                conds.push(format!("{col} = ?{}", params.len()));
            }
        };
        add("township", filter.township.clone(), &mut conds);
        add("enterprise", filter.enterprise.clone(), &mut conds);
        add("status", filter.status.map(|s| s.as_str().to_string()), &mut conds);
        add("level", filter.level.map(|l| l.as_str().to_string()), &mut conds);
        add("inspection_id", filter.inspection.clone(), &mut conds);
        self.query_rows(viewer, &conds.join(" AND "), params, "reported_at DESC, id", now)
    }

    /// What waits for `viewer`'s decision: a supervisor's township review
    /// queue (R8), or the district's verification queue (R11), oldest first.
    pub fn review_queue(&self, viewer: &str, now: Timestamp) -> Result<Vec<HazardRow>> {
        let person = self.person(viewer)?;
        let status = match person.role {
            Role::Supervisor => Status::PendingReview,
            Role::DistrictAdmin => Status::PendingVerification,
            _ => {
                return Err(RuleError::new(
                    "R8",
                    format!(
                        "{viewer} is {}; review queues belong to supervisors and the district",
                        person.role.with_article()
                    ),
                )
                .into())
            }
        };
        self.query_rows(
            viewer,
            "status = ?1",
            vec![Value::Text(status.as_str().into())],
            "COALESCE(submitted_at, reported_at), id",
            now,
        )
    }

    /// Open hidden dangers past their deadline at `now` (R10), and major ones
    /// whose district verification is late after a resumption request (R11),
    /// most overdue first.
    pub fn overdue(&self, viewer: &str, now: Timestamp) -> Result<Vec<HazardRow>> {
        // Past the deadline, or (R11) a major one whose district verification
        // may be late: asked to resume more than a day ago; the exact limit is
        // the policy's, applied by `escalation`.
        let rows = self.query_rows(
            viewer,
            "status IN ('rectifying', 'pending_review', 'pending_verification')
             AND (deadline_end < ?1 OR (level = 'major' AND resumption_requested_at < ?2))",
            vec![Value::Integer(now.0), Value::Integer(now.0 - 86_400_000)],
            "deadline_end, id",
            now,
        )?;
        Ok(rows
            .into_iter()
            .filter(|r| r.overdue_days > 0 || matches!(r.escalation, Escalation::VerificationLate { .. }))
            .collect())
    }

    /// Open hidden dangers whose deadline falls within `days` days of `now`.
    pub fn due_soon(&self, viewer: &str, now: Timestamp, days: u32) -> Result<Vec<HazardRow>> {
        let until = end_of_cst_day(now.cst_date() + chrono::Duration::days(days.into()));
        self.query_rows(
            viewer,
            "status IN ('rectifying', 'pending_review', 'pending_verification') AND deadline_end >= ?1 AND deadline_end <= ?2",
            vec![Value::Integer(now.0), Value::Integer(until.0)],
            "deadline_end, id",
            now,
        )
    }

    /// Records with conflicts waiting for a person (R14).
    pub fn conflicts(&self, viewer: &str, now: Timestamp) -> Result<Vec<HazardRow>> {
        self.query_rows(viewer, "open_conflicts > 0", vec![], "reported_at, id", now)
    }

    /// Statistics of domain.md §6 over `viewer`'s scope, from projections only.
    pub fn statistics(&self, viewer: &str, group_by: GroupBy, period: Period, now: Timestamp) -> Result<Vec<StatsRow>> {
        let rows = self.list_hazards(viewer, &HazardFilter::default(), now)?;
        let inputs: Vec<StatsInput> = rows.iter().map(StatsInput::from).collect();
        Ok(stats::compute(&inputs, group_by, period, now))
    }

    /// Every record in `viewer`'s scope, loaded whole: for export and audit.
    pub fn export_hazards(&self, viewer: &str) -> Result<Vec<Hazard>> {
        self.export_hazards_with_progress(viewer, &|_, _| {})
    }

    /// [`Store::export_hazards`], telling `progress(done, total)` after each
    /// record, so a long export can show how far it is.
    pub fn export_hazards_with_progress(&self, viewer: &str, progress: &dyn Fn(usize, usize)) -> Result<Vec<Hazard>> {
        let ids: Vec<String> =
            self.list_hazards(viewer, &HazardFilter::default(), Timestamp::now())?.into_iter().map(|r| r.id).collect();
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            out.push(self.hazard(viewer, id)?);
            if (i + 1) % 100 == 0 || i + 1 == ids.len() {
                progress(i + 1, ids.len());
            }
        }
        Ok(out)
    }
}
