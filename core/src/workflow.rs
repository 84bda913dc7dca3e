//! The rules of the rectification loop (domain.md §3, R2 and R4–R14) as pure
//! functions: no clock, no storage, no network.
//!
//! [`decide`] is what a tablet calls before it records an action and what the
//! sync server calls to validate an event a tablet sends: it takes the record,
//! the actor, the action, the time and the policy, and returns the action with
//! its policy-derived fields filled in (the deadline of an order) or the rule
//! it breaks. [`check`] is the policy-free part, which [`crate::hazard::fold`]
//! re-runs on every replica so that concurrent decisions resolve identically.

use crate::error::RuleError;
use crate::hazard::{Action, Handling, Hazard, Level, Status};
use crate::people::{Actor, Role};
use crate::policy::Policy;
use crate::time::{end_of_cst_day, Timestamp};
use chrono::{Duration, Months, NaiveDate};

/// What the rules need besides the record and the actor.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The time the action is taken (device clock on a tablet, receipt time on the server).
    pub now: Timestamp,
    /// Local policy in force.
    pub policy: &'a Policy,
    /// For an on-the-spot fix: whether the hidden danger's inspection is still
    /// going on (`None`: not raised in an inspection, or unknown).
    pub inspection_open: Option<bool>,
}

/// The rule function: checks `action` by `actor` on `hazard` (None for a new
/// report) at `ctx.now` under `ctx.policy`, and returns the action to record,
/// with the deadline of a new order computed (R5), or the rule it breaks.
pub fn decide(hazard: Option<&Hazard>, actor: &Actor, action: Action, ctx: &Context) -> Result<Action, RuleError> {
    let today = ctx.now.cst_date();
    let action = match action {
        Action::Report(mut r) => {
            let order_date = today;
            let p = ctx.policy.at(order_date);
            let window = match r.level {
                Level::General => p.rectification_days_general,
                Level::Major => p.rectification_days_major,
            };
            let latest = order_date + Duration::days(window.into());
            let deadline = match r.deadline {
                None => latest,
                Some(d) if d > latest => {
                    return Err(RuleError::new(
                        "R5",
                        format!(
                            "deadline {d} is later than the {window}-day window allows ({latest}); an inspector may set a shorter deadline, never a longer one"
                        ),
                    ))
                }
                Some(d) if d < order_date => {
                    return Err(RuleError::new("R5", format!("deadline {d} is before the order's day {order_date}")))
                }
                Some(d) => d,
            };
            r.order_date = Some(order_date);
            r.deadline = Some(deadline);
            Action::Report(r)
        }
        Action::FixOnSite { after_photos, description } => {
            if ctx.inspection_open != Some(true) {
                return Err(RuleError::new(
                    "R6",
                    "an on-the-spot fix is only possible while the inspection that found the hidden danger is going on",
                ));
            }
            Action::FixOnSite { after_photos, description }
        }
        Action::RequestExtension { reason, proposed_deadline } => {
            if let Some(h) = hazard {
                let granted = h.extensions.iter().filter(|x| x.decision.as_ref().is_some_and(|d| d.granted)).count();
                let max = ctx.policy.at(today).max_extensions_general;
                if h.level == Level::General && granted >= max as usize {
                    return Err(RuleError::new(
                        "R9",
                        format!("a general hidden danger may be extended {max} time(s); this one already was"),
                    ));
                }
            }
            Action::RequestExtension { reason, proposed_deadline }
        }
        Action::DecideExtension { grant, new_deadline, reason } => {
            let mut new_deadline = new_deadline;
            if let (true, Some(h)) = (grant, hazard) {
                let asked = h.open_extension().map(|x| x.proposed_deadline);
                let d = new_deadline.or(asked);
                let max_days = ctx.policy.at(today).max_extension_days_general;
                if let Some(d) = d {
                    let limit = h.deadline + Duration::days(max_days.into());
                    if h.level == Level::General && d > limit {
                        return Err(RuleError::new(
                            "R9",
                            format!("an extension of a general hidden danger adds at most {max_days} days: {d} is after {limit}"),
                        ));
                    }
                }
                new_deadline = d;
            }
            Action::DecideExtension { grant, new_deadline, reason }
        }
        Action::Suspend { from, until, reason } => {
            let months = ctx.policy.at(today).max_suspension_months;
            let limit = from.checked_add_months(Months::new(months)).unwrap_or(from);
            if until > limit {
                return Err(RuleError::new(
                    "R11",
                    format!("a suspension lasts at most {months} months: {from}..{until} ends after {limit}"),
                ));
            }
            Action::Suspend { from, until, reason }
        }
        other => other,
    };
    check(hazard, actor, &action, ctx.now)?;
    Ok(action)
}

fn rule(rule: &'static str, message: impl Into<String>) -> Result<(), RuleError> {
    Err(RuleError::new(rule, message))
}

fn require(cond: bool, r: &'static str, message: impl FnOnce() -> String) -> Result<(), RuleError> {
    if cond {
        Ok(())
    } else {
        rule(r, message())
    }
}

/// The supervisor of the hidden danger's township, or (when `district` is
/// true) the district as well.
fn is_township_supervisor(actor: &Actor, h: &Hazard) -> bool {
    actor.person.role == Role::Supervisor && actor.person.supervised_township() == Some(h.enterprise.township.as_str())
}

fn status_in(h: &Hazard, allowed: &[Status], r: &'static str, what: &str) -> Result<(), RuleError> {
    require(allowed.contains(&h.status), r, || {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        format!("{what} needs the hidden danger to be {}; it is {}", names.join(" or "), h.status.as_str())
    })
}

fn non_empty(value: &str, r: &'static str, what: &str) -> Result<(), RuleError> {
    require(!value.trim().is_empty(), r, || format!("{what} is required"))
}

/// The policy-free rules: role, scope (R2) and state for `action` at time `at`.
/// [`crate::hazard::fold`] runs this on every event, so it must depend only on
/// its arguments.
pub fn check(hazard: Option<&Hazard>, actor: &Actor, action: &Action, at: Timestamp) -> Result<(), RuleError> {
    let p = &actor.person;
    let Some(h) = hazard else {
        let Action::Report(r) = action else {
            return rule("R2", format!("'{}' needs an existing hidden danger", action.name()));
        };
        require(p.role == Role::Inspector, "R2", || {
            format!("{} is {}; only inspectors record hidden dangers", p.id, p.role.with_article())
        })?;
        require(p.in_scope(&r.enterprise.credit_code, &r.enterprise.township), "R2", || {
            format!("{} has no scope over {} in {}", p.id, r.enterprise.credit_code, r.enterprise.township)
        })?;
        non_empty(&r.description, "R4", "a description of the hidden danger")?;
        if r.handling == Handling::Deadline {
            let others = r.co_inspectors.iter().filter(|c| c.role == Role::Inspector && c.id != p.id).count();
            require(others >= 1, "§1", || {
                "a rectification order is always issued by two inspectors: name the second inspector".to_string()
            })?;
        }
        require(r.level == Level::General || r.handling == Handling::Deadline, "R6", || {
            "a major hidden danger cannot be handled on the spot".to_string()
        })?;
        return Ok(());
    };
    require(p.in_scope(&h.enterprise.credit_code, &h.enterprise.township), "R2", || {
        format!("{} has no scope over {} in {}", p.id, h.enterprise.credit_code, h.enterprise.township)
    })?;
    let open = [Status::Rectifying, Status::PendingReview, Status::PendingVerification];
    match action {
        Action::Report(_) => rule("R1", format!("hidden danger {} is already reported", h.id)),
        Action::FixOnSite { after_photos, description } => {
            require(p.role == Role::Inspector, "R6", || {
                format!("{} is {}; only the inspector closes an on-the-spot fix", p.id, p.role.with_article())
            })?;
            require(h.level == Level::General, "R6", || {
                "an on-the-spot fix is not allowed for a major hidden danger".into()
            })?;
            require(h.handling == Handling::OnSite, "R8", || {
                "this hidden danger was ordered with a deadline: it is closed by review, not on the spot".into()
            })?;
            status_in(h, &[Status::Rectifying], "R6", "an on-the-spot fix")?;
            require(h.evidence.is_empty() && h.reviews.is_empty(), "R6", || {
                "evidence was already submitted: this hidden danger goes through review".into()
            })?;
            require(!after_photos.is_empty(), "R6", || "an on-the-spot fix needs an after photo".into())?;
            require(!h.before_photos.is_empty(), "§2", || {
                "after photos need the hidden danger's before photos first".into()
            })?;
            non_empty(description, "R6", "a description of the fix")
        }
        Action::SubmitEvidence { after_photos, description, .. } => {
            require(matches!(p.role, Role::Enterprise | Role::Inspector), "R7", || {
                format!(
                    "{} is {}; evidence comes from the enterprise or an inspector on its behalf",
                    p.id,
                    p.role.with_article()
                )
            })?;
            status_in(h, &[Status::Rectifying, Status::PendingReview], "R7", "submitting evidence")?;
            require(!after_photos.is_empty(), "R7", || "evidence needs at least one after photo".into())?;
            non_empty(description, "R7", "a description of the rectification")?;
            require(!h.before_photos.is_empty(), "§2", || {
                "after photos need the hidden danger's before photos first".into()
            })?;
            require(h.level == Level::General || h.plan.is_some(), "R7", || {
                "a major hidden danger needs its governance plan (R11) before evidence".into()
            })
        }
        Action::Review { approve, opinion } => {
            require(is_township_supervisor(actor, h), "R8", || {
                format!(
                    "only a supervisor of township {} may review; {} is {}",
                    h.enterprise.township,
                    p.id,
                    p.role.with_article()
                )
            })?;
            status_in(h, &[Status::PendingReview], "R8", "a review")?;
            if !approve {
                non_empty(opinion, "R8", "a reason for the rejection")?;
            }
            Ok(())
        }
        Action::Verify { approve, opinion } => {
            require(p.role == Role::DistrictAdmin, "R11", || {
                format!(
                    "only the district verifies (核销) a major hidden danger; {} is {}",
                    p.id,
                    p.role.with_article()
                )
            })?;
            status_in(h, &[Status::PendingVerification], "R11", "verification")?;
            if !approve {
                non_empty(opinion, "R11", "a reason for refusing verification")?;
            }
            Ok(())
        }
        Action::RequestExtension { reason, proposed_deadline } => {
            require(p.role == Role::Enterprise, "R9", || {
                format!("the enterprise asks for an extension; {} is {}", p.id, p.role.with_article())
            })?;
            status_in(h, &[Status::Rectifying, Status::PendingReview], "R9", "an extension request")?;
            require(at <= end_of_cst_day(h.deadline), "R9", || {
                format!("the deadline {} has passed; an extension must be asked before it", h.deadline)
            })?;
            require(h.open_extension().is_none(), "R9", || {
                "an extension request is already waiting for a decision".into()
            })?;
            require(*proposed_deadline > h.deadline, "R9", || {
                format!("the proposed date {proposed_deadline} is not after the deadline {}", h.deadline)
            })?;
            non_empty(reason, "R9", "a reason for the extension")
        }
        Action::DecideExtension { grant, new_deadline, reason } => {
            match h.level {
                Level::General => require(is_township_supervisor(actor, h), "R9", || {
                    format!("only a supervisor of township {} decides this extension", h.enterprise.township)
                })?,
                Level::Major => require(p.role == Role::DistrictAdmin, "R9", || {
                    "extensions of a major hidden danger are decided by the district".into()
                })?,
            }
            require(h.open_extension().is_some(), "R9", || "there is no extension request to decide".into())?;
            if *grant {
                let d = new_deadline.or(h.open_extension().map(|x| x.proposed_deadline));
                require(d.is_some_and(|d| d > h.deadline), "R9", || {
                    format!("a granted extension must move the deadline {} later", h.deadline)
                })?;
            } else {
                non_empty(reason, "R9", "a reason for refusing the extension")?;
            }
            Ok(())
        }
        Action::Void { reason } => {
            require(is_township_supervisor(actor, h) || p.role == Role::DistrictAdmin, "R12", || {
                format!(
                    "only a supervisor of township {} voids a record; {} is {}",
                    h.enterprise.township,
                    p.id,
                    p.role.with_article()
                )
            })?;
            require(h.status != Status::Voided, "R12", || "the record is already voided".into())?;
            non_empty(reason, "R12", "a reason for voiding")
        }
        Action::ChangeLevel { level, reason } => {
            require(*level != h.level, "R13", || format!("the hidden danger is already {}", level.as_str()))?;
            match level {
                Level::Major => {
                    require(is_township_supervisor(actor, h) || p.role == Role::DistrictAdmin, "R13", || {
                        format!(
                            "only a supervisor of township {} or the district raises the level",
                            h.enterprise.township
                        )
                    })?
                }
                Level::General => require(p.role == Role::DistrictAdmin, "R13", || {
                    "only the district may lower a major hidden danger to general".into()
                })?,
            }
            // Awaiting district verification the level is settled: verify or refuse instead.
            status_in(h, &[Status::Rectifying, Status::PendingReview], "R13", "a level change")?;
            non_empty(reason, "R13", "a reason for the level change")
        }
        Action::CriteriaMet { reasons } => {
            require(p.role == Role::Inspector, "R4", || {
                "criteria are applied by the inspector completing the inspection".into()
            })?;
            require(h.level == Level::General, "R4", || "the hidden danger is already major".into())?;
            require(!reasons.is_empty(), "R4", || "name the criteria that were met".into())?;
            status_in(h, &open, "R4", "applying criteria")
        }
        Action::SubmitPlan { plan } => {
            require(p.role == Role::Enterprise, "R11", || {
                format!("the enterprise writes the governance plan; {} is {}", p.id, p.role.with_article())
            })?;
            require(h.level == Level::Major, "R11", || "only a major hidden danger has a governance plan".into())?;
            status_in(h, &[Status::Rectifying, Status::PendingReview], "R11", "a governance plan")?;
            let missing = plan.missing_elements();
            require(missing.is_empty(), "R11", || format!("the governance plan lacks: {}", missing.join(", ")))
        }
        Action::List { .. } => {
            require(p.role == Role::DistrictAdmin, "R11", || {
                "listing for supervision (挂牌督办) is decided by the district".into()
            })?;
            require(h.level == Level::Major, "R11", || "only a major hidden danger is listed for supervision".into())?;
            status_in(h, &open, "R11", "listing")
        }
        Action::Suspend { from, until, .. } => {
            require(is_township_supervisor(actor, h) || p.role == Role::DistrictAdmin, "R11", || {
                "a suspension is ordered by the township supervisor or the district".into()
            })?;
            require(h.level == Level::Major, "R11", || "only a major hidden danger suspends work".into())?;
            require(until >= from, "R11", || format!("the suspension ends {until} before it starts {from}"))?;
            status_in(h, &open, "R11", "a suspension")
        }
        Action::RequestResumption { .. } => {
            require(p.role == Role::Enterprise, "R11", || "the enterprise asks to resume work".into())?;
            require(h.level == Level::Major, "R11", || "resumption applies to major hidden dangers".into())?;
            status_in(h, &open, "R11", "a resumption request")
        }
        Action::Escalate { note } => {
            require(is_township_supervisor(actor, h) || p.role == Role::DistrictAdmin, "R10", || {
                format!("only a supervisor of township {} or the district escalates", h.enterprise.township)
            })?;
            status_in(h, &open, "R10", "an escalation")?;
            non_empty(note, "R10", "what the escalation orders")
        }
        Action::Edit(edit) => {
            require(matches!(p.role, Role::Inspector | Role::Supervisor | Role::DistrictAdmin), "R2", || {
                format!(
                    "{} is {}; the enterprise does not edit the record, it submits evidence",
                    p.id,
                    p.role.with_article()
                )
            })?;
            require(!edit.is_empty(), "R1", || "the edit changes nothing".into())?;
            status_in(h, &open, "R1", "an edit")
        }
        Action::ResolveConflict { events, note } => {
            require(is_township_supervisor(actor, h) || p.role == Role::DistrictAdmin, "R14", || {
                format!("conflicts are settled by a supervisor of township {} or the district", h.enterprise.township)
            })?;
            require(!events.is_empty(), "R14", || "name the conflicting events to resolve".into())?;
            for id in events {
                require(h.open_conflicts().any(|c| &c.event_id == id), "R14", || {
                    format!("event {id} has no open conflict")
                })?;
            }
            non_empty(note, "R14", "what was decided")
        }
    }
}

/// The deadline a new order issued at `now` would get under `policy` (R5).
pub fn default_deadline(level: Level, now: Timestamp, policy: &Policy) -> NaiveDate {
    let day = now.cst_date();
    let p = policy.at(day);
    let window = match level {
        Level::General => p.rectification_days_general,
        Level::Major => p.rectification_days_major,
    };
    day + Duration::days(window.into())
}

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod tests;
