//! The rectification order and the review opinion, laid out as the printed
//! documents an enterprise receives: the office at the head, the number,
//! the findings with their item numbers and deadlines, the rights of
//! appeal, the signatures and the date.

use crate::error::PdfError;
use crate::font::FontFile;
use crate::layout::{Layout, BODY, SMALL};
use crate::PhotoSource;
use chrono::{Datelike, NaiveDate};
use paicha_core::documents::{OrderVoid, RectificationOrder, ReviewOpinion, Signature, SignerCapacity};

/// A date as documents print it: 2026年3月1日.
pub(crate) fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A time as people in the district read it (China Standard Time).
pub(crate) fn when(t: paicha_core::time::Timestamp) -> String {
    t.to_cst().format("%Y-%m-%d %H:%M").to_string()
}

/// A number of months or days in Chinese, as the appeal clause prints it.
fn zh_count(n: u32) -> String {
    match n {
        6 => "六".into(),
        60 => "六十".into(),
        other => other.to_string(),
    }
}

/// The signature block: each expected signer's line with the captured
/// image if there is one, or a blank to sign by hand on the printed copy.
pub(crate) fn signatures(
    l: &mut Layout,
    lines: &[(SignerCapacity, String, String)],
    captured: &[Signature],
    photos: &dyn PhotoSource,
) -> Result<(), PdfError> {
    for (capacity, signer, shown) in lines {
        let label = format!("{}（签名）：", capacity.label());
        let image = captured.iter().find(|s| {
            s.capacity == *capacity && (&s.signer == signer || *capacity == SignerCapacity::EnterpriseRepresentative)
        });
        l.ensure(46.0);
        let top = l.y();
        l.field(&label, shown, BODY);
        if let Some(s) = image {
            match photos.jpeg(&s.image.sha256) {
                Some(bytes) => {
                    l.set_y(top);
                    match l.image(&bytes, 300.0, 130.0, 40.0, "signature") {
                        Ok((_, h)) => l.set_y(top + h.max(BODY * 1.6) + 4.0),
                        Err(_) => {
                            l.set_y(top + BODY * 1.6);
                            l.paragraph("（签名图像无法显示，请在打印件上手写签名）", SMALL, 24.0, 0.0);
                        }
                    }
                }
                None => l.paragraph(&format!("（签名图像 {} 未在本机）", short(&s.image.sha256)), SMALL, 24.0, 0.0),
            }
        } else {
            l.space(8.0);
        }
    }
    Ok(())
}

/// The first 12 characters of a hash for people to read; a value that is not
/// plain hex (a record can hold anything) is shown whole, never cut mid-character.
pub(crate) fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The rectification order (责令限期整改指令书) as printed, with the
/// signatures captured on the tablet (or blanks for signing by hand). A
/// voided order prints as voided, with the reason.
pub fn order_pdf(
    order: &RectificationOrder,
    void: Option<&OrderVoid>,
    font: &FontFile,
    photos: &dyn PhotoSource,
) -> Result<Vec<u8>, PdfError> {
    let number = order.number.to_string();
    let mut l = Layout::new(font, &format!("责令限期整改指令书 {number}"), &number);
    lay_order(&mut l, order, void, photos)?;
    l.finish()
}

pub(crate) fn lay_order(
    l: &mut Layout,
    order: &RectificationOrder,
    void: Option<&OrderVoid>,
    photos: &dyn PhotoSource,
) -> Result<(), PdfError> {
    l.centered(&order.office.name, 15.0);
    l.centered("责令限期整改指令书", 20.0);
    l.space(4.0);
    l.right(&order.number.to_string(), BODY);
    if let Some(v) = void {
        l.centered("【本指令书已作废】", 16.0);
        l.paragraph(&format!("作废原因：{}（{}，{}）", v.reason, v.by, when(v.at)), BODY, 0.0, 0.0);
    }
    l.rule(0.8);
    l.space(4.0);
    l.paragraph(&format!("{}：", order.enterprise.name), BODY, 0.0, 0.0);
    l.paragraph(
        &format!("经查，你单位（统一社会信用代码 {}）存在下列事故隐患：", order.enterprise.credit_code),
        BODY,
        0.0,
        2.0,
    );
    for (i, h) in order.hazards.iter().enumerate() {
        let item = h.item_code.as_deref().map(|c| format!("（检查项 {c}）")).unwrap_or_default();
        l.paragraph(
            &format!("{}. {}{}，位置：{}，隐患级别：{}。", i + 1, h.description, item, h.location, h.level.zh()),
            BODY,
            12.0,
            0.0,
        );
        if !h.legal_basis.trim().is_empty() {
            l.paragraph(&format!("依据：{}", h.legal_basis), BODY, 26.0, 0.0);
        }
        if !h.required_measures.trim().is_empty() {
            l.paragraph(&format!("整改要求：{}", h.required_measures), BODY, 26.0, 0.0);
        }
        l.paragraph(&format!("整改期限：{}前", zh_date(h.deadline)), BODY, 26.0, 0.0);
    }
    l.space(4.0);
    l.paragraph(
        "现责令你单位于上述期限前整改完毕，达到有关法律法规规章和标准规定的要求，并将整改情况书面报告本机关。整改期间，你单位应当采取必要的安全防范措施，确保安全。",
        BODY,
        0.0,
        2.0,
    );
    l.paragraph(
        &format!(
            "如果不服本指令，可以依法在{}日内向{}申请行政复议，或者在{}个月内依法向{}提起行政诉讼，但本指令不停止执行，法律另有规定的除外。",
            zh_count(order.reconsideration_days),
            order.office.reconsideration_government,
            zh_count(order.litigation_months),
            order.office.court
        ),
        BODY,
        0.0,
        2.0,
    );
    l.space(10.0);
    let mut lines: Vec<(SignerCapacity, String, String)> = order
        .inspectors
        .iter()
        .map(|p| {
            let cert = p.certificate_no.clone().unwrap_or_default();
            (SignerCapacity::Inspector, p.id.clone(), format!("{}　执法证号：{}", p.name, cert))
        })
        .collect();
    let rep = order
        .signatures
        .iter()
        .find(|s| s.capacity == SignerCapacity::EnterpriseRepresentative)
        .map(|s| s.signer.clone())
        .unwrap_or_default();
    lines.push((SignerCapacity::EnterpriseRepresentative, rep.clone(), rep));
    signatures(l, &lines, &order.signatures, photos)?;
    l.space(10.0);
    l.right(&format!("{}（印章）", order.office.name), BODY);
    l.right(&zh_date(order.issued_on()), BODY);
    l.space(6.0);
    l.paragraph(
        &format!("本文书一式两份，一份交被检查单位，一份存档。记录号 {}，签发设备 {}。", order.id, order.device_id),
        SMALL,
        0.0,
        0.0,
    );
    Ok(())
}

/// The review opinion (整改复查意见书) as printed: it cites the order's
/// number and gives one opinion per hidden danger reviewed.
pub fn opinion_pdf(
    opinion: &ReviewOpinion,
    order: &RectificationOrder,
    font: &FontFile,
    photos: &dyn PhotoSource,
) -> Result<Vec<u8>, PdfError> {
    let mut l =
        Layout::new(font, &format!("整改复查意见书（{}）", opinion.order_number), &opinion.order_number.to_string());
    lay_opinion(&mut l, opinion, order, photos)?;
    l.finish()
}

pub(crate) fn lay_opinion(
    l: &mut Layout,
    opinion: &ReviewOpinion,
    order: &RectificationOrder,
    photos: &dyn PhotoSource,
) -> Result<(), PdfError> {
    l.centered(&order.office.name, 15.0);
    l.centered("整改复查意见书", 20.0);
    l.space(4.0);
    l.right(&format!("复查依据：{}", opinion.order_number), BODY);
    l.rule(0.8);
    l.space(4.0);
    l.paragraph(&format!("{}：", opinion.enterprise.name), BODY, 0.0, 0.0);
    l.paragraph(
        &format!(
            "本机关于{}作出《责令限期整改指令书》（{}）。经对你单位整改情况进行复查，提出如下意见：",
            zh_date(order.issued_on()),
            opinion.order_number
        ),
        BODY,
        0.0,
        2.0,
    );
    for (i, o) in opinion.opinions.iter().enumerate() {
        let listed = order.hazards.iter().find(|h| h.hazard_id == o.hazard_id);
        let what = listed.map(|h| h.description.clone()).unwrap_or_else(|| o.hazard_id.clone());
        let item = listed.and_then(|h| h.item_code.clone()).map(|c| format!("（检查项 {c}）")).unwrap_or_default();
        let verdict = if o.approve { "复查合格，同意销号" } else { "复查不合格，继续整改" };
        l.paragraph(&format!("{}. {}{}：{}。{}", i + 1, what, item, verdict, o.opinion), BODY, 12.0, 0.0);
    }
    l.space(10.0);
    let rep = opinion
        .signatures
        .iter()
        .find(|s| s.capacity == SignerCapacity::EnterpriseRepresentative)
        .map(|s| s.signer.clone())
        .unwrap_or_default();
    let lines = vec![
        (SignerCapacity::Reviewer, opinion.reviewed_by.id.clone(), opinion.reviewed_by.name.clone()),
        (SignerCapacity::EnterpriseRepresentative, rep.clone(), rep),
    ];
    signatures(l, &lines, &opinion.signatures, photos)?;
    l.space(10.0);
    l.right(&format!("{}（印章）", order.office.name), BODY);
    l.right(&zh_date(opinion.reviewed_at.cst_date()), BODY);
    l.space(6.0);
    l.paragraph(&format!("记录号 {}，复查设备 {}。", opinion.id, opinion.device_id), SMALL, 0.0, 0.0);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_that_is_not_hex_is_shown_whole_not_cut_mid_character() {
        assert_eq!(super::short("0123456789abcdef"), "0123456789ab");
        assert_eq!(super::short("ab配电箱配电箱"), "ab配电箱配电箱");
        assert_eq!(super::short("ab"), "ab");
    }
}
