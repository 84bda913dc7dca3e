//! Printing: text for people, JSON (`--json`) for scripts. Each command
//! prints one JSON value on stdout.

use paicha_core::hazard::{Hazard, HistoryEntry};
use paicha_core::inspection::Inspection;
use paicha_core::policy::Policy;
use paicha_core::stats::StatsRow;
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use paicha_store::{CompletionReport, HazardRow, ItemRow};
use serde::Serialize;
use serde_json::Value;

/// Where output goes and in which form.
pub struct Out {
    /// JSON instead of text.
    pub json: bool,
}

/// Writes a line to stdout. A closed pipe (`paicha ... | head`) ends the
/// program quietly instead of panicking like `println!` would.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// A byte count as people read it: 512 B, 3.4 KiB, 12.0 MiB.
pub fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Out {
    /// Prints `v` as JSON, or `text`.
    pub fn value(&self, v: &Value, text: &str) {
        if self.json {
            emit(&v.to_string());
        } else if !text.is_empty() {
            emit(text);
        }
    }

    /// A confirmation: `{"ok": text}` in JSON.
    pub fn note(&self, text: &str) {
        self.value(&serde_json::json!({ "ok": text }), text);
    }

    /// One hidden danger with what the clock derives from it.
    pub fn hazard(&self, h: &Hazard, now: Timestamp, policy: &Policy) {
        let esc = h.escalation(now, policy);
        let mut v = to_value(h);
        if let Value::Object(m) = &mut v {
            m.insert("deadline_end".into(), to_value(&h.deadline_end()));
            m.insert("overdue_days".into(), Value::from(h.overdue_days(now)));
            m.insert("escalation".into(), to_value(&esc));
            m.insert("open_conflicts".into(), to_value(&h.open_conflicts().collect::<Vec<_>>()));
            m.insert("verification_due".into(), to_value(&h.verification_due(policy)));
        }
        let mut t = vec![
            format!("hidden danger {}", h.id),
            format!("  enterprise  {} {} ({})", h.enterprise.credit_code, h.enterprise.name, h.enterprise.township),
            format!("  description {}", h.description),
            format!(
                "  level       {}   status {}   handling {}",
                h.level.as_str(),
                h.status.as_str(),
                h.handling.as_str()
            ),
            format!(
                "  deadline    {}{}   escalation {}{}",
                h.deadline,
                if h.deadline != h.original_deadline {
                    format!(" (was {})", h.original_deadline)
                } else {
                    String::new()
                },
                esc.as_str(),
                match h.overdue_days(now) {
                    0 => String::new(),
                    d => format!(" ({d} days overdue)"),
                }
            ),
        ];
        if !h.legal_basis.is_empty() {
            t.push(format!("  legal basis {}", h.legal_basis));
        }
        if !h.criteria.is_empty() {
            t.push(format!("  criteria    {}", h.criteria.join("; ")));
        }
        if let Some(c) = &h.closure {
            t.push(format!("  closed      {:?} by {} at {}", c.kind, c.by, c.at));
        }
        if let Some(p) = &h.plan {
            let missing = p.missing_elements();
            t.push(format!(
                "  plan        {}",
                if missing.is_empty() { "complete".into() } else { missing.join(", ") }
            ));
        }
        if let Some(due) = h.verification_due(policy) {
            t.push(format!("  verification due {due}"));
        }
        for c in h.open_conflicts() {
            t.push(format!("  CONFLICT    event {}: {}", c.event_id, c.message));
        }
        t.push(format!("  history     {} events (paicha hazard history {})", h.history.len(), h.id));
        self.value(&v, &t.join("\n"));
    }

    /// A list of hidden dangers.
    pub fn rows(&self, rows: &[HazardRow]) {
        let text = if rows.is_empty() {
            "(none)".to_string()
        } else {
            rows.iter()
                .map(|r| {
                    format!(
                        "{}  {:<20} {:<7} {}{}  {}  {}",
                        r.id,
                        r.status.as_str(),
                        r.level.as_str(),
                        r.deadline,
                        if r.overdue_days > 0 {
                            format!(" +{}d {}", r.overdue_days, r.escalation.as_str())
                        } else {
                            String::new()
                        },
                        r.enterprise_name,
                        r.description
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        self.value(&to_value(&rows), &text);
    }

    /// Statistics.
    pub fn stats(&self, rows: &[StatsRow]) {
        let pct = |r: Option<f64>| r.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "-".into());
        let mut t = vec![format!(
            "{:<20} {:>8} {:>6} {:>6} {:>8} {:>8} {:>7} {:>10} {:>8}",
            "group", "recorded", "voided", "closed", "整改率", "按期率", "overdue", "open major", "listed"
        )];
        for r in rows {
            t.push(format!(
                "{:<20} {:>8} {:>6} {:>6} {:>8} {:>8} {:>7} {:>10} {:>8}",
                r.group,
                r.recorded,
                r.voided,
                r.closed,
                pct(r.rectification_rate),
                pct(r.on_time_rate),
                r.overdue,
                r.open_major,
                r.listed
            ));
        }
        self.value(&to_value(&rows), &t.join("\n"));
    }

    /// A template with its items.
    pub fn template(&self, t: &Template) {
        let mut lines = vec![format!("{} v{} — {} ({})", t.id, t.version, t.title, t.sector)];
        for s in &t.sections {
            lines.push(format!("  [{}]", s.title));
            for i in &s.items {
                let major = if i.criteria.is_empty() { "" } else { " ★" };
                lines.push(format!("  {:<6} {}{}\n         依据: {}", i.code, i.question, major, i.legal_basis));
            }
        }
        self.value(&to_value(t), &lines.join("\n"));
    }

    /// An inspection.
    pub fn inspection(&self, i: &Inspection) {
        let h = &i.header;
        let mut lines = vec![
            format!("inspection {}", h.id),
            format!("  enterprise {} {} ({})", h.enterprise, h.enterprise_name, h.township),
            format!("  template   {} v{}   source {:?}", h.template_id, h.template_version, h.source),
            format!("  inspectors {}", h.inspectors.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")),
            format!("  started    {}", h.started_at),
            format!("  answers    {}", i.answers.len()),
        ];
        if let Some(c) = &i.completion {
            lines.push(format!("  completed  {} by {}", c.ended_at, c.by));
        }
        self.value(&to_value(i), &lines.join("\n"));
    }

    /// An inspection's items.
    pub fn items(&self, items: &[ItemRow]) {
        let text = items
            .iter()
            .map(|i| {
                let answer = i
                    .answer
                    .as_ref()
                    .and_then(|a| a.get("kind").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| "-".into());
                format!(
                    "{:<6} {:<17} {}{}{}",
                    i.code,
                    answer,
                    if i.finding { "! " } else { "" },
                    i.question,
                    if i.hazards.is_empty() { String::new() } else { format!("  → {}", i.hazards.join(", ")) }
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        self.value(&to_value(&items), &text);
    }

    /// What completing an inspection found.
    pub fn completion(&self, r: &CompletionReport) {
        let mut lines = vec![format!("completed inspection {}: {} findings", r.inspection_id, r.findings.len())];
        for f in &r.findings {
            lines.push(format!(
                "  {:<6} {} {}{}",
                f.item_code,
                if f.major { "major  " } else { "general" },
                f.question,
                if f.reasons.is_empty() { String::new() } else { format!(" ({})", f.reasons.join("; ")) }
            ));
        }
        for id in &r.raised_to_major {
            lines.push(format!("  raised to major by composite criteria: {id}"));
        }
        if !r.unreported.is_empty() {
            lines.push(format!(
                "  {} findings have no hidden danger yet: paicha hazard report --inspection {} --item CODE ...",
                r.unreported.len(),
                r.inspection_id
            ));
        }
        self.value(&to_value(r), &lines.join("\n"));
    }

    /// A record's history.
    pub fn history(&self, entries: &[HistoryEntry]) {
        let text = entries
            .iter()
            .map(|e| {
                format!(
                    "{} {:<10} {:<14} {:<12} {}{}{}",
                    e.at,
                    e.person_id,
                    e.role.as_str(),
                    e.device_id,
                    e.summary,
                    match (&e.applied, &e.note) {
                        (false, Some(n)) => format!("  [NOT APPLIED: {n}]"),
                        _ => String::new(),
                    },
                    e.received_at.map(|t| format!("  (server received {t})")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        self.value(&to_value(&entries), &text);
    }
}

/// Hidden dangers as CSV, one line each.
pub fn csv(rows: &[HazardRow]) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    let _ = w.write_record([
        "id",
        "enterprise",
        "enterprise_name",
        "township",
        "sector",
        "risk_colour",
        "level",
        "status",
        "description",
        "reported_at",
        "deadline",
        "closed_at",
        "closure_kind",
        "overdue_days",
        "escalation",
    ]);
    for r in rows {
        let _ = w.write_record([
            r.id.clone(),
            r.enterprise.clone(),
            r.enterprise_name.clone(),
            r.township.clone(),
            r.sector.clone(),
            r.risk_colour.as_str().to_string(),
            r.level.as_str().to_string(),
            r.status.as_str().to_string(),
            r.description.clone(),
            r.reported_at.to_string(),
            r.deadline.to_string(),
            r.closed_at.map(|t| t.to_string()).unwrap_or_default(),
            r.closure_kind.clone().unwrap_or_default(),
            r.overdue_days.to_string(),
            r.escalation.as_str().to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
