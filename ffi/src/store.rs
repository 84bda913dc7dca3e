//! [`PaichaStore`]: a tablet's store as the app sees it.

use crate::convert::*;
use crate::error::{FfiResult, PaichaError};
use paicha_core::hazard::{Action, GovernancePlan, Handling};
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::stats::Period;
use paicha_core::time::{parse_date, Timestamp};
use paicha_store::client;
use paicha_store::{HazardFilter, NewAnswer, NewHazard, NewInspection, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Told how a sync is going; implemented by the app (a progress bar).
#[uniffi::export(with_foreign)]
pub trait SyncProgressListener: Send + Sync {
    /// Called after every request of a sync, on the syncing thread.
    fn on_progress(&self, progress: SyncProgressInfo);
}

/// Told which records changed after a sync, so the UI can refresh them.
#[uniffi::export(with_foreign)]
pub trait RecordChangeListener: Send + Sync {
    /// Called on the syncing thread with the ids of the records that changed.
    fn on_records_changed(&self, record_ids: Vec<String>);
}

/// Cancels a sync in flight from another thread; what was stored is kept.
#[derive(uniffi::Object, Default)]
pub struct CancelToken {
    flag: AtomicBool,
}

#[uniffi::export]
impl CancelToken {
    /// A token not cancelled yet. Does not block.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelToken::default())
    }

    /// Asks the sync using this token to stop at the next step. Does not block; safe from any thread.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether cancel was asked. Does not block.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

type Listeners = Mutex<Vec<(u64, Arc<dyn RecordChangeListener>)>>;

/// A registration of a [`RecordChangeListener`], made by
/// [`PaichaStore::subscribe`]. The **store** holds the listener: it is told
/// of changes until [`Subscription::unsubscribe`] is called or the store
/// itself is freed. Dropping, closing or garbage-collecting this handle does
/// *not* unsubscribe, so a handle nobody keeps (a Python call whose result
/// is not assigned, a Kotlin value that goes out of scope) never silently
/// ends notifications; keep the handle only to unsubscribe later.
#[derive(uniffi::Object)]
pub struct Subscription {
    id: u64,
    listeners: Weak<Listeners>,
}

#[uniffi::export]
impl Subscription {
    /// Stops notifications to this listener; the store lets go of it.
    /// Calling it again does nothing. Does not block.
    pub fn unsubscribe(&self) {
        if let Some(l) = self.listeners.upgrade() {
            l.lock().unwrap_or_else(|p| p.into_inner()).retain(|(id, _)| *id != self.id);
        }
    }

    /// Whether the listener is still told of changes (not unsubscribed, store alive). Does not block.
    pub fn is_active(&self) -> bool {
        self.listeners
            .upgrade()
            .is_some_and(|l| l.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|(id, _)| *id == self.id))
    }
}

/// A tablet's local store, acting as its signed-in user. Thread-safe; every
/// method blocks on disk (and `sync`/`enroll` on the network): call them off
/// the UI thread.
#[derive(uniffi::Object)]
pub struct PaichaStore {
    pub(crate) store: Store,
    clock: Mutex<Option<i64>>,
    listeners: Arc<Listeners>,
    next_listener: AtomicU64,
}

fn invalid(field: &str, reason: impl Into<String>) -> PaichaError {
    PaichaError::InvalidInput { field: field.into(), reason: reason.into() }
}

fn date(field: &str, s: &str) -> FfiResult<chrono::NaiveDate> {
    parse_date(field, s).map_err(|e| invalid(field, e))
}

impl PaichaStore {
    pub(crate) fn now(&self) -> Timestamp {
        match *self.clock.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(ms) => Timestamp(ms),
            None => Timestamp::now(),
        }
    }

    /// Lists are computed on server time where known (R10); a testing clock wins.
    fn query_now(&self) -> FfiResult<Timestamp> {
        match *self.clock.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(ms) => Ok(Timestamp(ms)),
            None => Ok(self.store.server_now()?),
        }
    }

    pub(crate) fn me(&self) -> FfiResult<String> {
        self.store
            .user()?
            .ok_or(PaichaError::NotEnrolled { reason: "no signed-in user: enroll or set_user first".into() })
    }

    fn photos(&self, paths: &[String], role: PhotoRole) -> FfiResult<Vec<PhotoRef>> {
        let now = self.now();
        paths
            .iter()
            .map(|p| self.store.import_photo(Path::new(p), role, Some(now), None).map_err(PaichaError::from))
            .collect()
    }

    fn act(&self, id: &str, action: Action) -> FfiResult<HazardDetail> {
        let id = self.store.resolve_hazard_id(id)?;
        let h = self.store.act(&self.me()?, &id, action, self.now())?;
        Ok(HazardDetail::from(&h))
    }

    fn notify(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let listeners: Vec<Arc<dyn RecordChangeListener>> =
            self.listeners.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(_, l)| l.clone()).collect();
        for l in listeners {
            l.on_records_changed(ids.to_vec());
        }
    }
}

#[uniffi::export]
impl PaichaStore {
    /// Opens the store in `dir`, creating it for `device_id` if there is none.
    ///
    /// `key`: 32 bytes the app keeps (on Android, a random key wrapped by
    /// the Android Keystore). With a key, the store is encrypted at rest
    /// (database and photos) and can be enrolled; without one it works
    /// offline only, since a device token is never kept in plain text.
    /// Another key than the store's, or none for an encrypted store, is
    /// `Locked` and changes nothing. A key for a store made without one
    /// encrypts it in place (database, photos, token); cut off, the next
    /// open with the key finishes it.
    ///
    /// A store of another device in `dir` is an `InvalidInput` error on
    /// `device_id` (a device's records and enrollment never move to another
    /// device id). A damaged database is moved aside and kept; the error says
    /// where. Blocks on disk.
    #[uniffi::constructor(default(key = None))]
    pub fn open(dir: String, device_id: String, key: Option<Vec<u8>>) -> FfiResult<Arc<Self>> {
        let path = PathBuf::from(&dir);
        let key = key.map(|k| paicha_store::StoreKey::from_bytes(&k)).transpose()?;
        let store = match &key {
            // A store made before the app gave a key is encrypted in place.
            Some(k) => match Store::open_encrypted(&path, k) {
                Err(paicha_store::Error::NotEncrypted(..)) => Store::encrypt(&path, k),
                other => other,
            },
            None => Store::open(&path),
        };
        let store = match store {
            Ok(s) => s,
            Err(paicha_store::Error::NoStore(_)) => match &key {
                Some(k) => Store::create_encrypted(&path, &device_id, k)?,
                None => Store::create(&path, &device_id)?,
            },
            Err(e) => return Err(e.into()),
        };
        let stored = &store.device().device_id;
        if stored != device_id.trim() {
            return Err(PaichaError::InvalidInput {
                field: "device_id".into(),
                reason: format!(
                    "the store in this directory belongs to device '{stored}', not '{}': open it with its own device id, or use another directory for another device",
                    device_id.trim()
                ),
            });
        }
        Ok(Arc::new(PaichaStore {
            store,
            clock: Mutex::new(None),
            listeners: Arc::new(Mutex::new(vec![])),
            next_listener: AtomicU64::new(1),
        }))
    }

    /// Adds the demo district's people and enterprises, to try the app offline. Blocks on disk.
    pub fn load_demo_district(&self) -> FfiResult<()> {
        Ok(self.store.seed_demo_district()?)
    }

    /// Whether this store is encrypted at rest (and so may be enrolled). Does not block.
    pub fn is_encrypted(&self) -> bool {
        self.store.encrypted()
    }

    /// This tablet's device id. Does not block.
    pub fn device_id(&self) -> String {
        self.store.device().device_id.clone()
    }

    /// The signed-in user, if any. Blocks on disk.
    pub fn user(&self) -> FfiResult<Option<String>> {
        Ok(self.store.user()?)
    }

    /// Signs a known person in on this tablet (enrollment does it too). Blocks on disk.
    pub fn set_user(&self, person_id: String) -> FfiResult<()> {
        self.store.person(&person_id)?;
        Ok(self.store.set_user(&person_id)?)
    }

    /// Uses a fixed clock (ms since the epoch) instead of the device's, or the
    /// device's again with `None`: for demos and tests of deadlines. Does not block.
    pub fn set_clock_for_testing(&self, now_ms: Option<i64>) {
        *self.clock.lock().unwrap_or_else(|p| p.into_inner()) = now_ms;
    }

    /// Trusts a certificate authority (PEM text, one or more certificates)
    /// for every request to the server, besides the system's trust store: a
    /// district whose intranet server has a certificate from its own CA.
    /// Call before [`PaichaStore::enroll`]; kept in the store for later syncs.
    /// A text without a certificate is `InvalidInput`. Blocks on disk.
    pub fn trust_certificate_authority(&self, pem: String) -> FfiResult<()> {
        Ok(self.store.trust_certificate_authority(&pem)?)
    }

    /// Enrolls this tablet with a server using the code from the district
    /// admin; signs in the user it was issued for. Blocks on the network.
    pub fn enroll(&self, server_url: String, code: String) -> FfiResult<PersonInfo> {
        let p = client::enroll(&self.store, &server_url, &code)?;
        Ok(PersonInfo { id: p.id, name: p.name, role: p.role.into() })
    }

    /// The signed-in user's role and scope (R2): the townships or the
    /// enterprise whose records they see and act on. Blocks on disk.
    pub fn scope(&self) -> FfiResult<UserScope> {
        Ok(UserScope::from(&self.store.person(&self.me()?)?))
    }

    /// The people the signed-in user sees (R2: an enterprise user sees
    /// itself and the officials, never another enterprise's people). Blocks on disk.
    pub fn people(&self) -> FfiResult<Vec<PersonInfo>> {
        Ok(self
            .store
            .people_seen_by(&self.me()?)?
            .into_iter()
            .map(|p| PersonInfo { id: p.id, name: p.name, role: p.role.into() })
            .collect())
    }

    /// The enterprises in the signed-in user's scope with the day their next
    /// routine inspection is due, most urgent first (today is the server's
    /// day where known, or the testing clock). Blocks on disk.
    pub fn inspections_due(&self) -> FfiResult<Vec<DueInspectionInfo>> {
        let today = self.query_now()?.cst_date();
        Ok(self.store.due_inspections(&self.me()?, today)?.into_iter().map(DueInspectionInfo::from).collect())
    }

    /// The bytes of a photo this store holds (decrypted if the store is
    /// encrypted), to show it: `sha256` as in a record's photo list. A photo
    /// that is not here yet (still to download) is `NotFound`. Blocks on disk.
    pub fn photo_bytes(&self, sha256: String) -> FfiResult<Vec<u8>> {
        Ok(self.store.photo_bytes(&sha256)?)
    }

    /// The enterprises in the signed-in user's scope (R2). Blocks on disk.
    pub fn enterprises(&self) -> FfiResult<Vec<EnterpriseInfo>> {
        Ok(self
            .store
            .enterprises(&self.me()?, None)?
            .into_iter()
            .map(|e| EnterpriseInfo {
                credit_code: e.credit_code,
                name: e.name,
                township: e.township,
                risk_colour: e.risk_colour.into(),
                sectors: e.sectors,
            })
            .collect())
    }

    /// Checklist template versions. Blocks on disk.
    pub fn templates(&self) -> FfiResult<Vec<TemplateInfo>> {
        Ok(self
            .store
            .templates()?
            .into_iter()
            .map(|t| TemplateInfo { id: t.id, version: t.version, sector: t.sector, title: t.title })
            .collect())
    }

    /// Starts an inspection of an enterprise in the user's scope with the
    /// latest version of a template, pinned for the inspection (R3); the
    /// signed-in user is the first inspector. `source` is why the check is
    /// made (an enterprise user may only start a `SelfInspection`, R2);
    /// `location` is the device's GPS fix, if it has one. An enforcement
    /// inspection needs two inspectors with certificate numbers (§2).
    /// Blocks on disk.
    pub fn start_inspection(
        &self,
        template_id: String,
        enterprise: String,
        co_inspectors: Vec<String>,
        enforcement: bool,
        source: InspectionSource,
        location: Option<GpsLocation>,
    ) -> FfiResult<InspectionInfo> {
        let new = NewInspection {
            template_id,
            template_version: None,
            enterprise,
            co_inspectors,
            source: source.into(),
            enforcement,
            location: location.map(GpsLocation::to_core).transpose()?,
        };
        let i = self.store.start_inspection(&self.me()?, new, self.now())?;
        Ok(InspectionInfo::from(&i))
    }

    /// Answers an item of the inspection; answering again replaces the
    /// answer (the old one stays in the history, R1). The value must fit the
    /// item's kind (see [`ChecklistItem::kind`]): otherwise an `InvalidInput`
    /// error on `answer` names the item and the kind it expects. A `Photo`
    /// answer needs at least one of `photo_paths`; photos may go with any
    /// answer. Blocks on disk.
    pub fn answer(
        &self,
        inspection_id: String,
        item_code: String,
        value: AnswerValue,
        note: String,
        photo_paths: Vec<String>,
    ) -> FfiResult<()> {
        let id = self.store.resolve_inspection_id(&inspection_id)?;
        let value = value.to_core()?;
        let photos = self.photos(&photo_paths, PhotoRole::Before)?;
        let a = NewAnswer { item_code, value, note, photos };
        self.store.answer(&self.me()?, &id, a, self.now())?;
        Ok(())
    }

    /// The inspection's header: template version, enterprise, inspectors,
    /// source, location, whether it is completed. Blocks on disk.
    pub fn inspection(&self, inspection_id: String) -> FfiResult<InspectionInfo> {
        let id = self.store.resolve_inspection_id(&inspection_id)?;
        Ok(InspectionInfo::from(&self.store.inspection(&self.me()?, &id)?))
    }

    /// The items of an inspection with their answers. Blocks on disk.
    pub fn inspection_items(&self, inspection_id: String) -> FfiResult<Vec<ChecklistItem>> {
        let id = self.store.resolve_inspection_id(&inspection_id)?;
        let answers = self.store.inspection(&self.me()?, &id)?.answers;
        self.store
            .inspection_items(&self.me()?, &id)?
            .into_iter()
            .map(|i| {
                let answer =
                    i.answer.map(serde_json::from_value::<paicha_core::inspection::AnswerValue>).transpose().map_err(
                        |e| PaichaError::Storage {
                            reason: format!("the answer to item {} is unreadable: {e}", i.code),
                        },
                    )?;
                // An item not answered has no photos.
                let photos = match answers.get(&i.code) {
                    Some(a) => a.photos.iter().map(|p| p.sha256.clone()).collect(),
                    None => vec![],
                };
                Ok(ChecklistItem {
                    kind: AnswerKind::from(&i.kind),
                    section: i.section,
                    code: i.code,
                    question: i.question,
                    legal_basis: i.legal_basis,
                    answer: answer.map(Into::into),
                    note: i.note,
                    finding: i.finding,
                    photos,
                    hazards: i.hazards,
                })
            })
            .collect::<FfiResult<Vec<_>>>()
    }

    /// Completes the inspection: its answers are frozen, the major-hazard
    /// criteria evaluated over the whole checklist and findings proposed
    /// (R4). Every item of the pinned template must be answered first
    /// (`NotApplicable` is an answer): otherwise a `Forbidden` error with
    /// rule `R4` lists the codes of the unanswered items. Blocks on disk.
    pub fn complete_inspection(&self, inspection_id: String) -> FfiResult<CompletionInfo> {
        let id = self.store.resolve_inspection_id(&inspection_id)?;
        let r = self.store.complete_inspection(&self.me()?, &id, vec![], self.now())?;
        Ok(CompletionInfo::from(&r))
    }

    /// Records a hidden danger; with a deadline this issues the order (R5). Blocks on disk.
    pub fn report_hazard(&self, input: NewHazardInput) -> FfiResult<HazardDetail> {
        let inspection_id = input.inspection_id.map(|i| self.store.resolve_inspection_id(&i)).transpose()?;
        let new = NewHazard {
            enterprise: input.enterprise,
            inspection_id,
            item_code: input.item_code,
            location: input.location,
            description: input.description,
            kind: input.kind.map(Into::into),
            level: input.level.map(Into::into),
            handling: Some(if input.on_site { Handling::OnSite } else { Handling::Deadline }),
            before_photos: self.photos(&input.before_photo_paths, PhotoRole::Before)?,
            required_measures: input.required_measures,
            responsible_person: input.responsible_person,
            funds: None,
            co_inspectors: input.co_inspectors,
            deadline: input.deadline.as_deref().map(|d| date("deadline", d)).transpose()?,
            sector: None,
        };
        let h = self.store.report_hazard(&self.me()?, new, self.now())?;
        Ok(HazardDetail::from(&h))
    }

    /// Submits rectification evidence (R7). Blocks on disk.
    pub fn submit_evidence(
        &self,
        hazard_id: String,
        description: String,
        photo_paths: Vec<String>,
    ) -> FfiResult<HazardDetail> {
        let after_photos = self.photos(&photo_paths, PhotoRole::After)?;
        self.act(&hazard_id, Action::SubmitEvidence { after_photos, description, rectified_on: None })
    }

    /// Closes a general hidden danger fixed on the spot during its inspection (R6). Blocks on disk.
    pub fn fix_on_site(
        &self,
        hazard_id: String,
        description: String,
        photo_paths: Vec<String>,
    ) -> FfiResult<HazardDetail> {
        let after_photos = self.photos(&photo_paths, PhotoRole::After)?;
        self.act(&hazard_id, Action::FixOnSite { after_photos, description })
    }

    /// Township review: approve, or reject with a reason (R8). Blocks on disk.
    pub fn review(&self, hazard_id: String, decision: Decision, opinion: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::Review { approve: decision.approves(), opinion })
    }

    /// District verification of a major hidden danger: approve, or refuse with a reason (R11). Blocks on disk.
    pub fn verify(&self, hazard_id: String, decision: Decision, opinion: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::Verify { approve: decision.approves(), opinion })
    }

    /// Asks for an extension before the deadline (R9); `until` is `YYYY-MM-DD`. Blocks on disk.
    pub fn request_extension(&self, hazard_id: String, until: String, reason: String) -> FfiResult<HazardDetail> {
        let proposed_deadline = date("until", &until)?;
        self.act(&hazard_id, Action::RequestExtension { reason, proposed_deadline })
    }

    /// Grants (`Approve`, to the proposed date or to `until`, `YYYY-MM-DD`)
    /// or refuses (`Reject`) the waiting extension request (R9). Blocks on disk.
    pub fn decide_extension(
        &self,
        hazard_id: String,
        decision: Decision,
        until: Option<String>,
        reason: String,
    ) -> FfiResult<HazardDetail> {
        let new_deadline = until.as_deref().map(|d| date("until", d)).transpose()?;
        self.act(&hazard_id, Action::DecideExtension { grant: decision.approves(), new_deadline, reason })
    }

    /// Voids a record made in error (R12). Blocks on disk.
    pub fn void_hazard(&self, hazard_id: String, reason: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::Void { reason })
    }

    /// Raises or lowers the level (R13). Blocks on disk.
    pub fn change_level(&self, hazard_id: String, level: Level, reason: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::ChangeLevel { level: level.into(), reason })
    }

    /// Submits the governance plan of a major hidden danger (R11). Blocks on disk.
    pub fn submit_plan(&self, hazard_id: String, plan: GovernancePlanInput) -> FfiResult<HazardDetail> {
        let plan = GovernancePlan {
            objectives: plan.objectives,
            methods: plan.methods,
            funds_and_materials: plan.funds_and_materials,
            responsible: plan.responsible,
            time_limits: plan.time_limits,
            safety_and_emergency: plan.safety_and_emergency,
            reported_to_authority_on: None,
            reported_to_workforce_on: None,
        };
        self.act(&hazard_id, Action::SubmitPlan { plan })
    }

    /// Lists a major hidden danger for supervision (挂牌督办) at a level (R11). Blocks on disk.
    pub fn list_for_supervision(
        &self,
        hazard_id: String,
        level: ListingLevel,
        reason: String,
    ) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::List { level: level.into(), reason })
    }

    /// Suspends work (停产停业) from `from` to `until`, `YYYY-MM-DD`, at most the policy's months (R11). Blocks on disk.
    pub fn suspend(&self, hazard_id: String, from: String, until: String, reason: String) -> FfiResult<HazardDetail> {
        let (from, until) = (date("from", &from)?, date("until", &until)?);
        self.act(&hazard_id, Action::Suspend { from, until, reason })
    }

    /// The enterprise asks to resume work; district verification is then due (R11). Blocks on disk.
    pub fn request_resumption(&self, hazard_id: String, note: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::RequestResumption { note })
    }

    /// Corrects the description, location or measures of an open record, or adds before photos. Blocks on disk.
    pub fn edit_hazard(
        &self,
        hazard_id: String,
        description: Option<String>,
        location: Option<String>,
        required_measures: Option<String>,
        before_photo_paths: Vec<String>,
    ) -> FfiResult<HazardDetail> {
        let add_before_photos = self.photos(&before_photo_paths, PhotoRole::Before)?;
        let edit = paicha_core::hazard::Edit {
            description,
            location,
            required_measures,
            add_before_photos,
            ..paicha_core::hazard::Edit::default()
        };
        self.act(&hazard_id, Action::Edit(edit))
    }

    /// Records an escalation (督办) of an open hidden danger (R10). Blocks on disk.
    pub fn escalate(&self, hazard_id: String, note: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::Escalate { note })
    }

    /// Settles conflicting concurrent decisions after a person looked at them (R14). Blocks on disk.
    pub fn resolve_conflict(&self, hazard_id: String, event_ids: Vec<String>, note: String) -> FfiResult<HazardDetail> {
        self.act(&hazard_id, Action::ResolveConflict { events: event_ids, note })
    }

    /// The whole record, with its history. Blocks on disk.
    pub fn hazard(&self, hazard_id: String) -> FfiResult<HazardDetail> {
        let id = self.store.resolve_hazard_id(&hazard_id)?;
        Ok(HazardDetail::from(&self.store.hazard(&self.me()?, &id)?))
    }

    /// Hidden dangers in the user's scope, optionally of one status or enterprise. Blocks on disk.
    pub fn list_hazards(
        &self,
        status: Option<HazardStatus>,
        enterprise: Option<String>,
    ) -> FfiResult<Vec<HazardSummary>> {
        let filter = HazardFilter { status: status.map(Into::into), enterprise, ..HazardFilter::default() };
        Ok(self.store.list_hazards(&self.me()?, &filter, self.query_now()?)?.iter().map(HazardSummary::from).collect())
    }

    /// What waits for the user's decision (supervisor: review; district: verification). Blocks on disk.
    pub fn review_queue(&self) -> FfiResult<Vec<HazardSummary>> {
        Ok(self.store.review_queue(&self.me()?, self.query_now()?)?.iter().map(HazardSummary::from).collect())
    }

    /// Open hidden dangers past their deadline, with escalation. Blocks on disk.
    pub fn overdue(&self) -> FfiResult<Vec<HazardSummary>> {
        Ok(self.store.overdue(&self.me()?, self.query_now()?)?.iter().map(HazardSummary::from).collect())
    }

    /// Open hidden dangers due within `days` days. Blocks on disk.
    pub fn due_soon(&self, days: u32) -> FfiResult<Vec<HazardSummary>> {
        Ok(self.store.due_soon(&self.me()?, self.query_now()?, days)?.iter().map(HazardSummary::from).collect())
    }

    /// Records with conflicting decisions waiting for a person. Blocks on disk.
    pub fn conflicts(&self) -> FfiResult<Vec<HazardSummary>> {
        Ok(self.store.conflicts(&self.me()?, self.query_now()?)?.iter().map(HazardSummary::from).collect())
    }

    /// Statistics of the user's scope, grouped (domain.md §6). Blocks on disk.
    pub fn statistics(&self, group_by: StatsGroupBy) -> FfiResult<Vec<StatsLine>> {
        Ok(self
            .store
            .statistics(&self.me()?, group_by.into(), Period::default(), self.query_now()?)?
            .into_iter()
            .map(|r| StatsLine {
                group: r.group,
                recorded: r.recorded,
                voided: r.voided,
                closed: r.closed,
                overdue: r.overdue,
                open_major: r.open_major,
                rectification_rate: r.rectification_rate,
                on_time_rate: r.on_time_rate,
            })
            .collect())
    }

    /// Edits the server refused, kept here for the user. Blocks on disk.
    pub fn refused_edits(&self) -> FfiResult<Vec<RefusalInfo>> {
        Ok(self.store.refused_edits()?.iter().map(RefusalInfo::from).collect())
    }

    /// Syncs now with the enrolled server: uploads this tablet's work,
    /// downloads everything new in scope, then photos. Reports progress,
    /// stops when `cancel` is cancelled (keeping what was stored), and tells
    /// subscribers which records changed. Blocks on the network.
    pub fn sync(
        &self,
        progress: Option<Arc<dyn SyncProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> FfiResult<SyncSummary> {
        let cancel = cancel.unwrap_or_default();
        let report = client::sync(
            &self.store,
            &client::SyncOptions::default(),
            &|p| {
                if let Some(l) = &progress {
                    l.on_progress(SyncProgressInfo {
                        docs_up: p.docs_up,
                        docs_down: p.docs_down,
                        bytes_up: p.bytes_up,
                        bytes_down: p.bytes_down,
                    });
                }
            },
            &cancel.flag,
        )?;
        self.notify(&report.changed_ids);
        Ok(SyncSummary::from(&report))
    }

    /// Registers a listener told, on the syncing thread, which records
    /// changed after each sync. The store holds the listener until
    /// `unsubscribe()` is called on the returned [`Subscription`] (or the
    /// store is freed); dropping the handle does not unsubscribe. Does not block.
    pub fn subscribe(&self, listener: Arc<dyn RecordChangeListener>) -> Arc<Subscription> {
        let id = self.next_listener.fetch_add(1, Ordering::Relaxed);
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).push((id, listener));
        Arc::new(Subscription { id, listeners: Arc::downgrade(&self.listeners) })
    }
}
