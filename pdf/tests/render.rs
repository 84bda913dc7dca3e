//! Every printed document, checked by its text (`pdftotext`) and rendered
//! (`pdftoppm`), with the Noto CJK font Debian ships (fonts-noto-cjk) and
//! poppler-utils, both installed by scripts/install-tools.sh.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use paicha_core::demo;
use paicha_core::documents::{
    draft_order, HazardOpinion, OrderDraft, OrderVoid, ReviewOpinion, Signature, SignerCapacity,
};
use paicha_core::enterprise::RiskColour;
use paicha_core::hazard::{fold, next_event, Action, EnterpriseRef, Handling, Hazard, HazardKind, Level, ReportData};
use paicha_core::people::Actor;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::summary::OrderSummary;
use paicha_core::time::Timestamp;
use paicha_pdf::{case_file_pdf, opinion_pdf, order_pdf, CaseFile, FontFile, PdfError, PhotoSource};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

fn font() -> FontFile {
    FontFile::load(Path::new(FONT)).unwrap_or_else(|e| panic!("{e}: install fonts-noto-cjk (scripts/install-tools.sh)"))
}

/// The text of a PDF, as pdftotext reads it.
fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext: {e}: install poppler-utils (scripts/install-tools.sh)"));
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Renders every page with pdftoppm; answers the PNG files.
fn render(pdf: &[u8], dir: &Path, name: &str) -> Vec<PathBuf> {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let status = Command::new("pdftoppm").args(["-r", "60", "-png"]).arg(&path).arg(dir.join(name)).status().unwrap();
    assert!(status.success());
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "png") && p.file_name().unwrap().to_string_lossy().starts_with(name)
        })
        .collect();
    pages.sort();
    pages
}

/// Characters of `text` with all white space removed, so wrapped lines compare.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

struct Photos(HashMap<String, Vec<u8>>);

impl PhotoSource for Photos {
    fn jpeg(&self, sha256: &str) -> Option<Vec<u8>> {
        self.0.get(sha256).cloned()
    }
}

/// A real JPEG photo (baseline, as cameras write them).
fn jpeg() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photo.jpg")).unwrap()
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

fn hazard(id: &str, photo: &PhotoRef) -> Hazard {
    let e = &demo::enterprises()[0];
    let data = ReportData {
        enterprise: EnterpriseRef {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            township: e.township.clone(),
            grid: e.grid.clone(),
            risk_colour: RiskColour::Yellow,
        },
        sector: "危险化学品".into(),
        inspection_id: None,
        item_code: Some("HC-03".into()),
        location: "二号仓库东侧".into(),
        description: "消防通道堆放纸箱，宽度不足".into(),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![photo.clone()],
        required_measures: "清理通道，保持畅通".into(),
        responsible_person: "张三".into(),
        funds: None,
        legal_basis: "《中华人民共和国消防法》第二十八条".into(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").unwrap()],
        deadline: NaiveDate::from_ymd_opt(2026, 3, 31),
        order_date: NaiveDate::from_ymd_opt(2026, 3, 1),
    };
    let actor = Actor { person: demo::person_by_id("insp-wang").unwrap(), device_id: "tab-wang".into() };
    let at = Timestamp::parse("2026-03-01T09:00:00+08:00").unwrap();
    let events = vec![next_event(&[], format!("{id}-e1"), at, actor, Action::Report(Box::new(data)))];
    fold(id, &events).unwrap()
}

#[test]
fn orders_opinions_and_case_files_print_every_field() {
    let font = font();
    let img = jpeg();
    let photo = PhotoRef {
        sha256: sha(&img),
        bytes: img.len() as u64,
        role: PhotoRole::Before,
        captured_at: Some(Timestamp(1_772_326_800_000)),
        gps: None,
        device_id: "tab-wang".into(),
    };
    let signature = PhotoRef { role: PhotoRole::Document, ..photo.clone() };
    let photos = Photos(HashMap::from([(photo.sha256.clone(), img.clone())]));
    let h = hazard("h-print-1", &photo);
    let wang = demo::person_by_id("insp-wang").unwrap();
    let li = demo::person_by_id("insp-li").unwrap();
    let at = Timestamp::parse("2026-03-01T10:00:00+08:00").unwrap();
    let draft = OrderDraft {
        id: "order-1".into(),
        hazards: vec![h.clone()],
        inspectors: vec![wang.clone(), li.clone()],
        signatures: vec![
            Signature { capacity: SignerCapacity::Inspector, signer: "insp-wang".into(), image: signature.clone() },
            Signature {
                capacity: SignerCapacity::EnterpriseRepresentative,
                signer: "赵企业".into(),
                image: signature.clone(),
            },
        ],
        existing_orders: vec![],
    };
    let order = draft_order(draft, &wang, "tab-wang", &Policy::default(), at, &[]).unwrap();
    let pdf = order_pdf(&order, None, &font, &photos).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = squash(&text_of(&pdf));
    for expected in [
        "玉山镇人民政府",
        "责令限期整改指令书",
        "玉山镇应急责改〔2026〕tab-wang-001号",
        &order.enterprise.name,
        &order.enterprise.credit_code,
        "消防通道堆放纸箱，宽度不足",
        "检查项HC-03",
        "二号仓库东侧",
        "《中华人民共和国消防法》第二十八条",
        "清理通道，保持畅通",
        "2026年3月31日前",
        "六十日内向昆山市人民政府申请行政复议",
        "六个月内依法向昆山市人民法院提起行政诉讼",
        &wang.name,
        wang.certificate_no.as_deref().unwrap(),
        &li.name,
        li.certificate_no.as_deref().unwrap(),
        "被检查单位负责人（签名）：赵企业",
        "2026年3月1日",
    ] {
        assert!(text.contains(&squash(expected)), "the order lacks '{expected}':\n{text}");
    }
    // The font is embedded as a subset: far smaller than the 19 MB collection.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());

    let void =
        OrderVoid {
            reason: "企业名称打印错误".into(), by: "insp-wang".into(), device_id: "tab-wang".into(), at
        };
    let voided = squash(&text_of(&order_pdf(&order, Some(&void), &font, &photos).unwrap()));
    assert!(voided.contains("【本指令书已作废】") && voided.contains("企业名称打印错误"), "{voided}");

    let chen = demo::person_by_id("sup-chen").unwrap();
    let opinion = ReviewOpinion {
        id: "opinion-1".into(),
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        enterprise: order.enterprise.clone(),
        opinions: vec![HazardOpinion {
            hazard_id: h.id.clone(),
            approve: true,
            opinion: "通道已清理，宽度符合要求".into(),
        }],
        reviewed_by: chen.clone(),
        device_id: "tab-chen".into(),
        reviewed_at: Timestamp::parse("2026-03-20T15:00:00+08:00").unwrap(),
        signatures: vec![],
    };
    let text = squash(&text_of(&opinion_pdf(&opinion, &order, &font, &photos).unwrap()));
    for expected in [
        "整改复查意见书",
        "复查依据：玉山镇应急责改〔2026〕tab-wang-001号",
        "2026年3月1日作出《责令限期整改指令书》（玉山镇应急责改〔2026〕tab-wang-001号）",
        "消防通道堆放纸箱，宽度不足",
        "复查合格，同意销号。通道已清理，宽度符合要求",
        &chen.name,
        "2026年3月20日",
    ] {
        assert!(text.contains(&squash(expected)), "the opinion lacks '{expected}':\n{text}");
    }

    let orders = vec![OrderSummary { order: order.clone(), void: None }];
    let case = CaseFile {
        hazard: &h,
        orders: &orders,
        opinions: std::slice::from_ref(&opinion),
        generated_at: at,
        generated_on: "tab-wang",
    };
    let (pdf, manifest) = case_file_pdf(&case, &font, &photos).unwrap();
    let text = squash(&text_of(&pdf));
    for expected in [
        "执法案卷",
        "一、隐患记录",
        "责令限期整改指令书",
        "整改复查意见书",
        "三、全过程记录",
        "四、清单（SHA-256）",
        &photo.sha256,
    ] {
        assert!(text.contains(&squash(expected)), "the case file lacks '{expected}'");
    }
    // Every part of the manifest is printed with its hash; the photo's hash is its id.
    assert!(manifest.iter().any(|m| m.sha256 == photo.sha256 && m.held));
    assert!(manifest.iter().any(|m| m.part.contains("tab-wang-001")));
    for m in &manifest {
        assert!(text.contains(&m.sha256), "manifest entry {} not printed", m.part);
    }
    // The history carries device and server times (R1): not synced yet here.
    assert!(text.contains("未同步"));

    let dir = tempfile::tempdir().unwrap();
    let pages = render(&pdf, dir.path(), "case");
    assert!(pages.len() >= 6, "{} pages", pages.len());
    for p in pages {
        assert!(std::fs::metadata(&p).unwrap().len() > 1000, "{} is empty", p.display());
    }
}

#[test]
fn a_missing_or_foreign_font_is_a_clear_error() {
    let e = FontFile::load(Path::new("/nonexistent/font.ttc")).unwrap_err();
    assert!(matches!(e, PdfError::FontUnreadable { .. }), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font").unwrap();
    let e = FontFile::load(&junk).unwrap_err();
    assert!(e.to_string().contains("not a usable font"), "{e}");
    let latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if Path::new(latin).is_file() {
        let e = FontFile::load(Path::new(latin)).unwrap_err();
        assert!(matches!(e, PdfError::NoChinese { .. }), "{e}");
    }
}
