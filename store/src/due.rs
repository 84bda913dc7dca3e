//! The routine inspection due list on the tablet (docs/planning.md §10):
//! `paicha_core::planning::due_inspections` over the enterprises in the
//! viewer's scope (R2), the store's policy, and the last completed
//! inspection of each enterprise from the `inspections` projection rows (no
//! document is loaded).

use super::{reference, Store};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use paicha_core::enterprise::Enterprise;
use paicha_core::inspection::Source;
use paicha_core::planning::{self, DueInspection};
use paicha_core::time::Timestamp;

impl Store {
    /// The enterprises in `viewer`'s scope with the day their next routine
    /// inspection is due, most urgent first, computed for `today`.
    /// Completed inspections count (not an enterprise's own check,
    /// [`planning::last_inspected`]), whichever tablet made them, once synced.
    pub fn due_inspections(&self, viewer: &str, today: NaiveDate) -> Result<Vec<DueInspection>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let mut stmt = c.prepare("SELECT credit_code, json FROM enterprises ORDER BY credit_code")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut enterprises: Vec<Enterprise> = vec![];
            for row in rows {
                let (code, json) = row?;
                let e: Enterprise = serde_json::from_str(&json)
                    .map_err(|e| Error::Document { id: format!("enterprise {code}"), detail: e.to_string() })?;
                if viewer.in_scope(&e.credit_code, &e.township) {
                    enterprises.push(e);
                }
            }
            let mut stmt =
                c.prepare("SELECT id, enterprise, source, ended_at FROM inspections WHERE ended_at IS NOT NULL")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })?;
            let mut done: Vec<(String, Source, Option<Timestamp>)> = vec![];
            for row in rows {
                let (id, enterprise, source, ended_at) = row?;
                let source = Source::parse(&source)
                    .map_err(|detail| Error::Document { id: format!("inspection {id}"), detail })?;
                done.push((enterprise, source, Some(Timestamp(ended_at))));
            }
            let last = planning::last_inspected(done.iter().map(|(e, s, at)| (e.as_str(), *s, *at)));
            let policy = reference::policy_in(c)?;
            Ok(planning::due_inspections(&enterprises, &last, &policy, today))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewInspection, Store};
    use chrono::NaiveDate;
    use paicha_core::demo;
    use paicha_core::inspection::Source;
    use paicha_core::planning::DueStatus;
    use paicha_core::time::Timestamp;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn inspect(store: &Store, enterprise: &str, source: Source, start: &str, end: Option<&str>) {
        let new = NewInspection {
            template_id: "fire-safety".into(),
            template_version: None,
            enterprise: enterprise.into(),
            co_inspectors: vec!["insp-li".into()],
            source,
            enforcement: true,
            location: None,
        };
        let insp = store.start_inspection("insp-wang", new, t(start)).unwrap();
        if let Some(end) = end {
            // Every item answered before completion (R4): not applicable is an answer.
            let answers = (1..=8)
                .map(|n| {
                    crate::NewAnswer::new(&format!("FS-{n:02}"), paicha_core::inspection::AnswerValue::NotApplicable)
                })
                .collect();
            store.answer_all("insp-wang", &insp.header.id, answers, t(start)).unwrap();
            store.complete_inspection("insp-wang", &insp.header.id, vec![], t(end)).unwrap();
        }
    }

    #[test]
    fn the_due_list_is_in_scope_and_counts_completed_inspections() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("store"), "tablet-1").unwrap();
        store.seed_demo_district().unwrap();
        let (red, orange, yellow) = (demo::credit_code(1), demo::credit_code(2), demo::credit_code(3));
        // Red, inspected on 2026-05-10 (CST, late evening UTC the day before): due 2026-06-10.
        inspect(&store, &red, Source::RandomPlan, "2026-05-09T23:00+08:00", Some("2026-05-10T00:30+08:00"));
        // Orange: an older routine one counts, a later one still open does not.
        inspect(&store, &orange, Source::Routine, "2026-01-05T09:00+08:00", Some("2026-01-05T11:00+08:00"));
        inspect(&store, &orange, Source::Routine, "2026-06-01T09:00+08:00", None);
        // Yellow: only the enterprise's own check, which does not count.
        inspect(&store, &yellow, Source::SelfInspection, "2026-06-01T09:00+08:00", Some("2026-06-01T10:00+08:00"));

        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        // 王检查 sees 玉山镇 only (R2): three enterprises, not 周市镇's.
        let list = store.due_inspections("insp-wang", today).unwrap();
        let codes: Vec<&str> = list.iter().map(|d| d.credit_code.as_str()).collect();
        assert_eq!(codes, [orange.as_str(), red.as_str(), yellow.as_str()]);
        assert_eq!(list[0].due_date, NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
        assert_eq!(list[0].status, DueStatus::Overdue { days_overdue: 71 });
        assert_eq!(list[1].last_inspected, NaiveDate::from_ymd_opt(2026, 5, 10));
        assert_eq!(list[1].status, DueStatus::Overdue { days_overdue: 5 });
        assert_eq!(list[2].last_inspected, None);
        assert_eq!(list[2].status, DueStatus::Due { days_left: 0 });

        // The district sees all four; an enterprise user only itself.
        assert_eq!(store.due_inspections("admin-xu", today).unwrap().len(), 4);
        let own = store.due_inspections("ent-a", today).unwrap();
        assert_eq!(own.iter().map(|d| d.credit_code.as_str()).collect::<Vec<_>>(), [red.as_str()]);
        assert!(store.due_inspections("nobody", today).is_err());
    }
}
