//! `paicha order ...`, `paicha opinion ...` and `paicha hazard case-file`:
//! enforcement documents on the tablet (§4, R15), issued offline and
//! printed as PDF in a CJK font the caller names.

use crate::commands::{CliError, Ctx, Result};
use clap::{Args, Subcommand};
use paicha_core::documents::{HazardOpinion, RectificationOrder, ReviewOpinion, SignerCapacity};
use paicha_core::summary::OrderSummary;
use paicha_pdf::FontFile;
use paicha_store::SignatureInput;
use std::path::PathBuf;

/// Debian's Noto Sans CJK (fonts-noto-cjk); on a device, the system CJK font.
pub const DEFAULT_FONT: &str = paicha_pdf::DEBIAN_CJK_FONT;

/// Where a PDF goes and which font prints it.
#[derive(Args, Debug)]
pub struct PrintArgs {
    /// The CJK font file (TrueType, OpenType or .ttc); only the glyphs used are embedded.
    #[arg(long, env = "PAICHA_FONT", default_value = DEFAULT_FONT)]
    pub font: PathBuf,
    /// The PDF file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Signatures captured on the tablet, as images.
#[derive(Args, Debug, Default)]
pub struct SignArgs {
    /// An inspector's or reviewer's signature: PERSON=IMAGE.jpg (repeatable).
    #[arg(long = "sign", value_name = "PERSON=IMAGE")]
    pub sign: Vec<String>,
    /// The enterprise representative's signature: NAME=IMAGE.jpg.
    #[arg(long = "sign-enterprise", value_name = "NAME=IMAGE")]
    pub sign_enterprise: Option<String>,
}

/// `paicha order ...`
#[derive(Subcommand, Debug)]
pub enum OrderCmd {
    /// Issue a rectification order (责令限期整改指令书) for hidden dangers of one enterprise, offline; it takes this tablet's next number (R15).
    Issue {
        /// A hidden danger to order rectified (repeatable; all of one enterprise).
        #[arg(long = "hazard", required = true)]
        hazards: Vec<String>,
        /// The co-signing inspector(s) (an order is issued by at least two, with certificate numbers).
        #[arg(long = "with")]
        with: Vec<String>,
        /// Signatures.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// The orders in your scope (of one hidden danger with --hazard).
    List {
        /// Only orders listing this hidden danger.
        #[arg(long)]
        hazard: Option<String>,
    },
    /// One order, by id, id prefix or number.
    Show {
        /// Id or number.
        id: String,
    },
    /// Void an order (a misprint, a wrong enterprise): its number stays used and the reason explains it (R15).
    Void {
        /// Id or number.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Print an order as PDF (A4).
    Pdf {
        /// Id or number.
        id: String,
        /// Font and output.
        #[command(flatten)]
        print: PrintArgs,
    },
    /// Every number sequence known here, each gap explained (R15).
    Numbers,
}

/// `paicha opinion ...`
#[derive(Subcommand, Debug)]
pub enum OpinionCmd {
    /// Write the review opinion (整改复查意见书) on an order: reviews each hidden danger (R8) and cites the order's number.
    Issue {
        /// The order (id, id prefix or number).
        #[arg(long)]
        order: String,
        /// A hidden danger passed: HAZARD=OPINION (repeatable).
        #[arg(long = "approve", value_name = "HAZARD=OPINION")]
        approve: Vec<String>,
        /// A hidden danger rejected back to rectifying: HAZARD=REASON (repeatable).
        #[arg(long = "reject", value_name = "HAZARD=REASON")]
        reject: Vec<String>,
        /// Signatures.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// The review opinions of an order.
    List {
        /// The order (id, id prefix or number).
        #[arg(long)]
        order: String,
    },
    /// Print a review opinion as PDF (A4).
    Pdf {
        /// Id or id prefix.
        id: String,
        /// Font and output.
        #[command(flatten)]
        print: PrintArgs,
    },
}

fn split_pair(flag: &str, value: &str) -> Result<(String, String)> {
    match value.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(CliError::Usage(format!("{flag} '{value}': expected KEY=VALUE"))),
    }
}

fn signatures(args: &SignArgs, capacity: SignerCapacity) -> Result<Vec<SignatureInput>> {
    let mut out = vec![];
    for s in &args.sign {
        let (signer, image) = split_pair("--sign", s)?;
        out.push(SignatureInput { capacity, signer, image: image.into() });
    }
    if let Some(s) = &args.sign_enterprise {
        let (signer, image) = split_pair("--sign-enterprise", s)?;
        out.push(SignatureInput { capacity: SignerCapacity::EnterpriseRepresentative, signer, image: image.into() });
    }
    Ok(out)
}

fn write_pdf(ctx: &Ctx, bytes: &[u8], out: &PathBuf, what: &str) -> Result<i32> {
    std::fs::write(out, bytes).map_err(|e| CliError::Usage(format!("--out {}: {e}", out.display())))?;
    ctx.out.value(
        &serde_json::json!({ "pdf": out, "bytes": bytes.len(), "what": what }),
        &format!("wrote {what} to {} ({} bytes)", out.display(), bytes.len()),
    );
    Ok(0)
}

fn font(print: &PrintArgs) -> Result<FontFile> {
    FontFile::load(&print.font).map_err(|e| CliError::Core(e.into()))
}

fn order_text(o: &RectificationOrder, void: Option<&paicha_core::documents::OrderVoid>) -> String {
    let mut t = format!(
        "{}  {}  {}\n  enterprise {} ({})  issued {} on {} by {}\n  inspectors: {}",
        o.number,
        o.id,
        if void.is_some() { "VOIDED" } else { "in force" },
        o.enterprise.name,
        o.enterprise.credit_code,
        o.issued_on(),
        o.device_id,
        o.issued_by,
        o.inspectors
            .iter()
            .map(|p| format!("{} ({})", p.name, p.certificate_no.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for h in &o.hazards {
        t.push_str(&format!(
            "\n  - {} [{}] {} · deadline {}",
            h.hazard_id,
            h.item_code.clone().unwrap_or_else(|| "-".into()),
            h.description,
            h.deadline
        ));
    }
    if let Some(v) = void {
        t.push_str(&format!("\n  voided by {} at {}: {}", v.by, v.at, v.reason));
    }
    t
}

fn show_order(ctx: &Ctx, o: &OrderSummary) {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("number_text".into(), serde_json::Value::from(o.order.number.to_string()));
    }
    ctx.out.value(&v, &order_text(&o.order, o.void.as_ref()));
}

fn show_opinion(ctx: &Ctx, o: &ReviewOpinion) {
    let mut t = format!("{}  cites {}  by {} at {}", o.id, o.order_number, o.reviewed_by.id, o.reviewed_at);
    for x in &o.opinions {
        t.push_str(&format!(
            "\n  - {} {}: {}",
            x.hazard_id,
            if x.approve { "approved" } else { "rejected" },
            x.opinion
        ));
    }
    ctx.out.value(&serde_json::to_value(o).unwrap_or_default(), &t);
}

/// Runs `paicha order ...`.
pub fn order(ctx: &Ctx, cmd: OrderCmd) -> Result<i32> {
    match cmd {
        OrderCmd::Issue { hazards, with, sign } => {
            let mut ids = vec![];
            for h in &hazards {
                ids.push(ctx.store.resolve_hazard_id(h)?);
            }
            let sigs = signatures(&sign, SignerCapacity::Inspector)?;
            let o = ctx.store.issue_order(ctx.who()?, &ids, &with, &sigs, ctx.now)?;
            show_order(ctx, &OrderSummary { order: o, void: None });
            Ok(0)
        }
        OrderCmd::List { hazard } => {
            let list = ctx.store.orders(ctx.who()?, hazard.as_deref())?;
            if ctx.out.json {
                ctx.out.value(&serde_json::to_value(&list).unwrap_or_default(), "");
            } else if list.is_empty() {
                crate::output::emit("no orders");
            } else {
                for o in &list {
                    crate::output::emit(&order_text(&o.order, o.void.as_ref()));
                }
            }
            Ok(0)
        }
        OrderCmd::Show { id } => {
            let o = ctx.store.order(ctx.who()?, &id)?;
            show_order(ctx, &o);
            Ok(0)
        }
        OrderCmd::Void { id, reason } => {
            let o = ctx.store.void_order(ctx.who()?, &id, &reason, ctx.now)?;
            show_order(ctx, &o);
            Ok(0)
        }
        OrderCmd::Pdf { id, print } => {
            let bytes = ctx.store.order_pdf(ctx.who()?, &id, &font(&print)?)?;
            write_pdf(ctx, &bytes, &print.out, "the rectification order")
        }
        OrderCmd::Numbers => {
            let report = ctx.store.number_sequences(ctx.who()?)?;
            let json: Vec<serde_json::Value> = report
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "prefix": s.prefix, "year": s.year, "series": s.series,
                        "numbers": s.numbers.iter().map(|(n, st)| serde_json::json!({
                            "number": n.to_string(), "seq": n.seq,
                            "state": match st {
                                paicha_core::documents::NumberState::Issued { .. } => "issued",
                                paicha_core::documents::NumberState::Voided { .. } => "voided",
                                paicha_core::documents::NumberState::NotYetReceived { .. } => "not_yet_received",
                                paicha_core::documents::NumberState::Duplicate { .. } => "duplicate",
                            },
                            "explanation": st.explain(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut text = vec![];
            for s in &report {
                text.push(format!(
                    "{}〔{}〕{}: {} numbers, {} gaps",
                    s.prefix,
                    s.year,
                    s.series,
                    s.numbers.len(),
                    s.gaps().count()
                ));
                for (n, st) in &s.numbers {
                    text.push(format!("  {n}  {}", st.explain()));
                }
            }
            if text.is_empty() {
                text.push("no orders".into());
            }
            ctx.out.value(&serde_json::Value::from(json), &text.join("\n"));
            Ok(0)
        }
    }
}

/// Runs `paicha opinion ...`.
pub fn opinion(ctx: &Ctx, cmd: OpinionCmd) -> Result<i32> {
    match cmd {
        OpinionCmd::Issue { order, approve, reject, sign } => {
            let mut opinions = vec![];
            for (flag, list, ok) in [("--approve", &approve, true), ("--reject", &reject, false)] {
                for a in list {
                    let (hazard, text) = split_pair(flag, a)?;
                    let hazard_id = ctx.store.resolve_hazard_id(&hazard)?;
                    opinions.push(HazardOpinion { hazard_id, approve: ok, opinion: text });
                }
            }
            if opinions.is_empty() {
                return Err(CliError::Usage(
                    "give at least one --approve HAZARD=OPINION or --reject HAZARD=REASON".into(),
                ));
            }
            let sigs = signatures(&sign, SignerCapacity::Reviewer)?;
            let (op, _) = ctx.store.issue_opinion(ctx.who()?, &order, opinions, &sigs, ctx.now)?;
            show_opinion(ctx, &op);
            Ok(0)
        }
        OpinionCmd::List { order } => {
            let list = ctx.store.opinions(ctx.who()?, &order)?;
            if ctx.out.json {
                ctx.out.value(&serde_json::to_value(&list).unwrap_or_default(), "");
            } else if list.is_empty() {
                crate::output::emit("no review opinions");
            } else {
                for o in &list {
                    show_opinion(ctx, o);
                }
            }
            Ok(0)
        }
        OpinionCmd::Pdf { id, print } => {
            let bytes = ctx.store.opinion_pdf(ctx.who()?, &id, &font(&print)?)?;
            write_pdf(ctx, &bytes, &print.out, "the review opinion")
        }
    }
}

/// Runs `paicha hazard case-file`.
pub fn case_file(ctx: &Ctx, id: &str, print: &PrintArgs) -> Result<i32> {
    let (bytes, manifest) = ctx.store.case_file_pdf(ctx.who()?, id, &font(print)?, ctx.now)?;
    std::fs::write(&print.out, &bytes).map_err(|e| CliError::Usage(format!("--out {}: {e}", print.out.display())))?;
    let parts: Vec<serde_json::Value> =
        manifest.iter().map(|m| serde_json::json!({ "part": m.part, "sha256": m.sha256, "held": m.held })).collect();
    let text = format!(
        "wrote the case file to {} ({} bytes, {} parts in its manifest)",
        print.out.display(),
        bytes.len(),
        manifest.len()
    );
    ctx.out.value(&serde_json::json!({ "pdf": print.out, "bytes": bytes.len(), "manifest": parts }), &text);
    Ok(0)
}
