//! The case file (执法案卷) of one hidden danger: the record, its orders,
//! the evidence with its photos, the review opinions, the full history with
//! device and server times (R1), and a manifest with the SHA-256 of every
//! part so that a printed or copied case file can be checked later against
//! the records it came from.

use crate::documents::{lay_opinion, lay_order, short, when, zh_date};
use crate::error::PdfError;
use crate::font::FontFile;
use crate::layout::{Layout, BODY, SMALL};
use crate::PhotoSource;
use paicha_core::documents::ReviewOpinion;
use paicha_core::hazard::Hazard;
use paicha_core::photo::PhotoRef;
use paicha_core::summary::OrderSummary;
use paicha_core::time::Timestamp;
use sha2::{Digest, Sha256};

/// What goes into a case file.
pub struct CaseFile<'a> {
    /// The hidden danger, folded, with server receipt times in its history.
    pub hazard: &'a Hazard,
    /// The orders that list it.
    pub orders: &'a [OrderSummary],
    /// The review opinions on those orders.
    pub opinions: &'a [ReviewOpinion],
    /// When the case file is made.
    pub generated_at: Timestamp,
    /// Where it is made (a device or the server), printed on every page.
    pub generated_on: &'a str,
}

/// One part of a case file and its SHA-256: a document's JSON as the
/// record holds it, the history, or a photo's bytes (whose hash is its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// What the part is.
    pub part: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Whether the bytes were at hand (a photo not yet downloaded is listed
    /// with the hash its record names, and marked as not held).
    pub held: bool,
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn json_hash<T: serde::Serialize>(v: &T) -> Result<String, PdfError> {
    serde_json::to_vec(v).map(|b| sha_hex(&b)).map_err(|e| PdfError::Write(e.to_string()))
}

/// Photos in a grid, two per row, each with its caption.
fn photo_grid(
    l: &mut Layout,
    refs: &[PhotoRef],
    label: &str,
    photos: &dyn PhotoSource,
    manifest: &mut Vec<ManifestEntry>,
) -> Result<(), PdfError> {
    for pair in refs.chunks(2) {
        l.ensure(180.0);
        let top = l.y();
        let mut tallest: f32 = 0.0;
        for (i, p) in pair.iter().enumerate() {
            let left = i as f32 * 240.0;
            let bytes = photos.jpeg(&p.sha256);
            let held = bytes.as_ref().is_some_and(|b| sha_hex(b) == p.sha256);
            manifest.push(ManifestEntry {
                part: format!("{label} {}", short(&p.sha256)),
                sha256: p.sha256.clone(),
                held,
            });
            l.set_y(top);
            let placed = match bytes.filter(|_| held) {
                Some(b) => l.image(&b, left, 225.0, 160.0, label).map(|(_, h)| h).ok(),
                None => None,
            };
            let h = match placed {
                Some(h) => h,
                None => {
                    let why =
                        if held { "无法显示（不是可解码的 JPEG）" } else { "未在本机或已损坏" };
                    l.paragraph(&format!("（照片 {} {why}）", short(&p.sha256)), SMALL, left, 0.0);
                    20.0
                }
            };
            tallest = tallest.max(h);
        }
        l.set_y(top + tallest + 4.0);
        let captions: Vec<(f32, f32, String)> = pair
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let when = p.captured_at.map(when).unwrap_or_default();
                (i as f32 * 240.0, 225.0, format!("{label} · {when} · {}", short(&p.sha256)))
            })
            .collect();
        let cells: Vec<(f32, f32, &str)> = captions.iter().map(|(x, w, t)| (*x, *w, t.as_str())).collect();
        l.row(&cells, SMALL);
        l.space(4.0);
    }
    Ok(())
}

/// The case file as one PDF, and its manifest (also printed on its last page).
pub fn case_file_pdf(
    case: &CaseFile,
    font: &FontFile,
    photos: &dyn PhotoSource,
) -> Result<(Vec<u8>, Vec<ManifestEntry>), PdfError> {
    let h = case.hazard;
    let mut manifest: Vec<ManifestEntry> = vec![];
    let mut l = Layout::new(font, &format!("执法案卷 {}", h.id), &format!("执法案卷 {} · {}", h.id, case.generated_on));
    l.space(120.0);
    l.centered("执 法 案 卷", 26.0);
    l.space(30.0);
    l.centered(&h.enterprise.name, 15.0);
    l.centered(&format!("事故隐患：{}", h.description), BODY);
    l.space(30.0);
    l.field("隐患记录号：", &h.id, BODY);
    l.field("统一社会信用代码：", &h.enterprise.credit_code, BODY);
    l.field("所在镇街：", &h.enterprise.township, BODY);
    l.field("隐患级别：", h.level.zh(), BODY);
    l.field("当前状态：", h.status.zh(), BODY);
    l.field("整改期限：", &zh_date(h.deadline), BODY);
    let numbers: Vec<String> = case.orders.iter().map(|o| o.order.number.to_string()).collect();
    l.field("指令书文号：", &if numbers.is_empty() { "（无）".to_string() } else { numbers.join("、") }, BODY);
    l.field("制卷时间：", &format!("{}（{}）", when(case.generated_at), case.generated_on), BODY);

    // 1. The record.
    l.new_page();
    l.centered("一、隐患记录", 15.0);
    l.field("位置：", &h.location, BODY);
    l.field("隐患描述：", &h.description, BODY);
    l.field("检查项：", h.item_code.as_deref().unwrap_or("—"), BODY);
    l.field("依据：", &h.legal_basis, BODY);
    l.field("整改措施：", &h.required_measures, BODY);
    l.field("责任人：", &h.responsible_person, BODY);
    l.field("检查人员：", &h.inspectors.join("、"), BODY);
    l.field("发现时间：", &when(h.reported_at), BODY);
    l.space(6.0);
    l.paragraph("整改前照片：", BODY, 0.0, 0.0);
    photo_grid(&mut l, &h.before_photos, "整改前", photos, &mut manifest)?;

    // 2. Orders.
    for o in case.orders {
        l.new_page();
        lay_order(&mut l, &o.order, o.void.as_ref(), photos)?;
        manifest.push(ManifestEntry {
            part: format!("责令限期整改指令书 {}", o.order.number),
            sha256: json_hash(&o.order)?,
            held: true,
        });
        if let Some(v) = &o.void {
            manifest.push(ManifestEntry {
                part: format!("作废记录 {}", o.order.number),
                sha256: json_hash(v)?,
                held: true,
            });
        }
    }

    // 3. Evidence.
    if !h.evidence.is_empty() {
        l.new_page();
        l.centered("二、整改情况及证据", 15.0);
        for (i, e) in h.evidence.iter().enumerate() {
            l.paragraph(&format!("{}. {}（{}，{}）", i + 1, e.description, e.by, when(e.at)), BODY, 0.0, 0.0);
            photo_grid(&mut l, &e.after_photos, "整改后", photos, &mut manifest)?;
        }
    }

    // 4. Review opinions.
    for op in case.opinions {
        if let Some(o) = case.orders.iter().find(|o| o.order.id == op.order_id) {
            l.new_page();
            lay_opinion(&mut l, op, &o.order, photos)?;
            manifest.push(ManifestEntry {
                part: format!("整改复查意见书 {}", op.id),
                sha256: json_hash(op)?,
                held: true,
            });
        }
    }

    // 5. History (R1).
    l.new_page();
    l.centered("三、全过程记录", 15.0);
    l.paragraph("每一项变更：设备时间、服务器接收时间、人员、角色、设备、内容（R1）。", SMALL, 0.0, 0.0);
    let cols = [(0.0, 88.0), (92.0, 88.0), (184.0, 70.0), (258.0, 60.0), (322.0, 150.0)];
    let head = ["设备时间", "服务器接收", "人员 / 角色", "设备", "内容"];
    let cells: Vec<(f32, f32, &str)> = cols.iter().zip(head).map(|((x, w), t)| (*x, *w, t)).collect();
    l.row(&cells, SMALL);
    l.rule(0.5);
    for e in &h.history {
        let received = e.received_at.map(when).unwrap_or_else(|| "未同步".into());
        let person = format!("{}（{}）/ {}", e.person_name, e.person_id, e.role.zh());
        let what = if e.applied {
            e.summary.clone()
        } else {
            format!("{}（未生效：{}）", e.summary, e.note.clone().unwrap_or_default())
        };
        let texts = [when(e.at), received, person, e.device_id.clone(), what];
        let cells: Vec<(f32, f32, &str)> =
            cols.iter().zip(texts.iter()).map(|((x, w), t)| (*x, *w, t.as_str())).collect();
        l.row(&cells, SMALL);
    }
    manifest
        .push(ManifestEntry { part: "全过程记录（JSON）".into(), sha256: json_hash(&h.history)?, held: true });

    // 6. Manifest.
    l.new_page();
    l.centered("四、清单（SHA-256）", 15.0);
    l.paragraph(
        "下列各部分的 SHA-256 可用于日后核对本案卷副本：文书与记录为其 JSON 的哈希，照片为原始文件的哈希（即照片编号）。",
        SMALL,
        0.0,
        0.0,
    );
    for m in &manifest {
        let state = if m.held { "" } else { "（未在本机）" };
        let text = format!("{}{}", m.part, state);
        l.row(&[(0.0, 160.0, text.as_str()), (164.0, 310.0, m.sha256.as_str())], SMALL);
    }
    Ok((l.finish()?, manifest))
}
