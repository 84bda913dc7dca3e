//! Actions taken in the console, through the one rule path (issue 9).
//!
//! An action is an event authored by the signed-in person on the device of
//! their web console (`web-<person>`, with an Automerge actor id generated
//! by the server and bound to it like a tablet's at enrollment:
//! [`Storage::web_device`]). It is built by the same pure function a tablet
//! uses ([`paicha_core::actions::hazard_event`]: `workflow::decide`), appended
//! to the record's Automerge document, and then handed as an upload to
//! [`crate::sync::validate_and_store`], the path every tablet upload takes:
//! validated again by [`paicha_core::sync::validate::validate_upload`],
//! written with the record's summary and its change-log entry in one
//! transaction (compare and swap), so tablets receive it on their next sync.
//!
//! A refused action changes nothing and is **not** quarantined: quarantine
//! keeps what a device sent and the server refused, for a district admin to
//! look at as possible tampering; a console refusal is the server's own
//! answer to a form, shown at once to the person with the rule and the
//! reason in Chinese (and logged).

use super::ConsoleError;
use crate::error::ServerError;
use crate::storage::{Storage, StorageError, StoredDoc};
use paicha_core::doc::RecordDoc;
use paicha_core::hazard::{fold, Action, Hazard};
use paicha_core::kinds::DocKind;
use paicha_core::people::Person;
use paicha_core::sync::validate::Clocks;
use paicha_core::sync::wire::{Bytes, DocUpload};
use paicha_core::time::Timestamp;
use paicha_core::workflow::Context;

/// The id of a person's web console device: one per person, so every event
/// says it came from the console and whose session made it (R1).
pub fn web_device_id(person_id: &str) -> String {
    format!("web-{person_id}")
}

/// Why the console refused an action: the rule's number, what the rule says
/// (Chinese, for the person) and the rule function's own message (for the
/// log; it may name people and internal ids, so it is not shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `R2`..`R14`, or a check name (`R1`, `revoked`).
    pub rule: String,
    /// The reason shown, in Chinese.
    pub reason: String,
}

impl Refused {
    /// The refusal of `rule`, explained in Chinese.
    pub fn of(rule: &str) -> Refused {
        Refused { rule: rule.to_string(), reason: rule_text(rule).to_string() }
    }

    /// The text of the notice shown on the page.
    pub fn notice(&self) -> String {
        format!("操作被拒绝（规则 {}）：{} 记录没有任何更改。", self.rule, self.reason)
    }
}

/// What each rule says, for a person who was just refused by it (domain.md).
pub fn rule_text(rule: &str) -> &'static str {
    match rule {
        "R1" => "每项更改都必须能追溯到人员、角色、设备和时间，历史只能追加。",
        "R2" => "只能查看和更改自己管辖范围内的记录：监管人员限本镇街，企业限本企业。",
        "R4" | "§1" => "隐患的上报、等级依据和检查人员须符合检查表与人员名录（执法检查须两名持证检查员）。",
        "§2" => "记录须符合登记规范：整改后照片只能附在有整改前照片的隐患上，检查人员须在人员名录中。",
        "R5" => "整改期限按政策计算，检查员只能缩短、不能延长。",
        "R6" => "即查即改只适用于检查进行中的一般隐患，由检查员当场销号。",
        "R7" => "只有“整改中”的隐患可以提交整改材料，且须有整改后照片和说明；重大隐患须先提交治理方案。",
        "R8" => "复查（销号或退回）只能由企业所在镇街的监管人员对“待复查”的隐患作出；检查员和企业不能销号。退回须写明理由。",
        "R9" => "延期须由企业在期限届满前申请，写明理由和日期；由镇街监管人员批准或不批准，一般隐患限一次、最多 30 天，重大隐患由区里决定。",
        "R10" => "逾期和督办级别由期限和服务器时间计算，不能手工设定。",
        "R11" => "重大隐患须有包含六项内容的治理方案；两级销号：镇街复查后由区应急管理局核销；挂牌督办和停产停业由区里决定，停产最长 6 个月。",
        "R12" => "只有镇街监管人员可以撤销误录的记录，并须写明理由。",
        "R13" => "监管人员或区管理员可以把一般隐患升为重大，只有区里可以降级，并须写明理由。",
        "R14" => "并发决定的冲突须由有权限的人员查看并处理。",
        "revoked" => "您的网页端设备已被吊销，不能再操作记录；请联系区应急管理局管理员。",
        _ => "该操作不符合隐患排查治理规则。",
    }
}

/// What an action came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored with its record and summary, in the change log.
    Done,
    /// Refused by a rule: nothing changed.
    Refused(Refused),
}

fn server_error(e: ServerError) -> ConsoleError {
    match e {
        ServerError::Unavailable(m) => ConsoleError::Storage(StorageError::Unavailable(m)),
        other => ConsoleError::Internal(other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

/// A hidden danger as stored, folded, if `person` may see it (R2). Out of
/// scope and absent look the same to the browser: [`ConsoleError::NotFound`].
pub fn hazard_in_scope(storage: &dyn Storage, person: &Person, id: &str) -> Result<(Hazard, StoredDoc), ConsoleError> {
    let Some(stored) = storage.document(id)? else { return Err(ConsoleError::NotFound) };
    if stored.kind != DocKind::Hazard {
        return Err(ConsoleError::NotFound);
    }
    let mut doc = RecordDoc::empty(id, &[0; 16]);
    doc.apply(&stored.snapshot).map_err(|e| ConsoleError::Internal(format!("stored record {id}: {e}")))?;
    let events = doc.events().map_err(|e| ConsoleError::Internal(format!("stored record {id}: {e}")))?;
    let h = fold(id, &events).ok_or_else(|| ConsoleError::Internal(format!("stored record {id} has no report")))?;
    if !person.in_scope(&h.enterprise.credit_code, &h.enterprise.township) {
        return Err(ConsoleError::NotFound);
    }
    Ok((h, stored))
}

/// Takes `action` on hidden danger `id` as `person`, at the server's time
/// `now`: decided by the rule function, stored through the tablets' path.
pub fn act(
    storage: &dyn Storage,
    person: &Person,
    id: &str,
    action: Action,
    now: Timestamp,
) -> Result<Outcome, ConsoleError> {
    let device_id = web_device_id(&person.id);
    let fresh = hex(uuid::Uuid::new_v4().as_bytes());
    let device = match storage.web_device(&device_id, &person.id, &fresh, now) {
        Ok(d) => d,
        Err(StorageError::Conflict(m)) => {
            tracing::warn!(person = %person.id, "web device unusable: {m}");
            return Ok(Outcome::Refused(Refused::of("R1")));
        }
        Err(e) => return Err(e.into()),
    };
    if device.revoked_at.is_some() {
        return Ok(Outcome::Refused(Refused::of("revoked")));
    }
    let actor_hex = device.actor.clone().ok_or_else(|| ConsoleError::Internal(format!("{device_id} has no actor")))?;
    let actor = unhex(&actor_hex).ok_or_else(|| ConsoleError::Internal(format!("{device_id}: actor is not hex")))?;
    let (hazard, stored) = hazard_in_scope(storage, person, id)?;
    let corrupt = |e: paicha_core::error::DocError| ConsoleError::Internal(format!("stored record {id}: {e}"));
    let mut doc = RecordDoc::load(id, &stored.snapshot, &[], &actor).map_err(corrupt)?;
    let events = doc.events().map_err(corrupt)?;
    let policy = storage.policy()?;
    let ended = match &hazard.inspection_id {
        Some(i) => storage.inspection(i)?.map(|insp| insp.completion.map(|c| c.ended_at)),
        None => None,
    };
    let ctx = Context { now, policy: &policy, inspection_open: paicha_core::actions::inspection_open(ended, now) };
    let actor_of_event = paicha_core::actions::event_actor(person, &device_id);
    let event_id = hex(&uuid::Uuid::new_v4().as_bytes()[..8]);
    let name = action.name();
    let event = match paicha_core::actions::hazard_event(id, &events, &actor_of_event, action, &ctx, event_id) {
        Ok(e) => e,
        Err(r) => {
            tracing::info!(person = %person.id, record = %id, action = name, rule = r.rule, "console action refused: {}", r.message);
            return Ok(Outcome::Refused(Refused::of(r.rule)));
        }
    };
    doc.add_event(&event).map_err(corrupt)?;
    let upload = DocUpload {
        doc_id: id.to_string(),
        kind: DocKind::Hazard.as_str().to_string(),
        changes: Bytes(doc.changes_after(&stored.heads)),
    };
    // The server's own clock is the device clock here: no offset.
    let clocks = Clocks { server_now: now, device_offset_ms: Some(0) };
    let committed = crate::sync::validate_and_store(storage, &device_id, &actor_hex, person, clocks, &[&upload], now)
        .map_err(server_error)?;
    if let Some(r) = committed.refused.first() {
        tracing::info!(person = %person.id, record = %id, action = name, rule = %r.rule, "console action refused on validation: {}", r.message);
        return Ok(Outcome::Refused(Refused::of(&r.rule)));
    }
    tracing::info!(person = %person.id, record = %id, action = name, event = %event.id, "console action stored");
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        assert_eq!(unhex(&hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn every_rule_a_decision_can_break_is_explained_in_chinese() {
        for r in ["R1", "R2", "R5", "R6", "R7", "R8", "R9", "R11", "R12", "R13", "R14", "revoked"] {
            let text = rule_text(r);
            assert!(!text.is_ascii() && text != rule_text("unknown"), "{r}");
        }
        assert!(Refused::of("R8").notice().contains("R8"));
    }
}
