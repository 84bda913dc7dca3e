//! A small demo district (two townships, their people and enterprises) so that
//! a newcomer can try the loop at once (`paicha init --demo`) and tests and
//! benchmarks share one realistic set-up.

use crate::credit_code::with_check_char;
use crate::enterprise::{Contact, Enterprise, RiskColour, SizeClass};
use crate::people::{Person, Role};

/// The demo townships.
pub const TOWNSHIPS: [&str; 2] = ["玉山镇", "周市镇"];

fn person(
    id: &str,
    name: &str,
    role: Role,
    townships: &[&str],
    enterprise: Option<&str>,
    cert: Option<&str>,
) -> Person {
    Person {
        id: id.into(),
        name: name.into(),
        role,
        townships: townships.iter().map(|t| t.to_string()).collect(),
        enterprise: enterprise.map(str::to_string),
        certificate_no: cert.map(str::to_string),
    }
}

/// A valid credit code for demo enterprise number `n`.
pub fn credit_code(n: u32) -> String {
    with_check_char(&format!("913205837{n:08}")).unwrap_or_default()
}

/// The demo enterprises: three in 玉山镇, one in 周市镇.
pub fn enterprises() -> Vec<Enterprise> {
    let e = |n: u32, name: &str, township: &str, sectors: &[&str], colour: RiskColour, size: SizeClass| Enterprise {
        credit_code: credit_code(n),
        name: name.into(),
        address: format!("{township}工业区{n}号"),
        township: township.into(),
        grid: format!("{township}第{}网格", n % 3 + 1),
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        size_class: size,
        risk_colour: colour,
        hazardous_chemicals: sectors.contains(&"危险化学品"),
        contacts: vec![Contact {
            name: "安全负责人".into(), phone: "0512-5000000".into(), title: "安全负责人".into()
        }],
    };
    vec![
        e(
            1,
            "昆山示范铝业有限公司",
            "玉山镇",
            &["铝镁机加工", "涉爆粉尘"],
            RiskColour::Red,
            SizeClass::AboveDesignated,
        ),
        e(2, "昆山示范食品冷链有限公司", "玉山镇", &["涉氨制冷"], RiskColour::Orange, SizeClass::BelowDesignated),
        e(3, "昆山示范五金加工厂", "玉山镇", &["加工制造类小微企业", "消防安全"], RiskColour::Yellow, SizeClass::Micro),
        e(4, "昆山示范化工有限公司", "周市镇", &["危险化学品"], RiskColour::Orange, SizeClass::AboveDesignated),
    ]
}

/// The demo people: inspectors, supervisors, enterprise leads and a district admin.
pub fn people() -> Vec<Person> {
    let a = credit_code(1);
    let b = credit_code(2);
    let d = credit_code(4);
    vec![
        person("insp-wang", "王检查", Role::Inspector, &["玉山镇"], None, Some("32058300101")),
        person("insp-li", "李检查", Role::Inspector, &["玉山镇"], None, Some("32058300102")),
        person("insp-zhou", "周检查", Role::Inspector, &["周市镇"], None, Some("32058300201")),
        person("insp-sun", "孙检查", Role::Inspector, &["周市镇"], None, Some("32058300202")),
        person("sup-chen", "陈监管", Role::Supervisor, &["玉山镇"], None, None),
        person("sup-zhao", "赵监管", Role::Supervisor, &["周市镇"], None, None),
        person("ent-a", "铝业安全负责人", Role::Enterprise, &[], Some(&a), None),
        person("ent-b", "冷链安全负责人", Role::Enterprise, &[], Some(&b), None),
        person("ent-d", "化工安全负责人", Role::Enterprise, &[], Some(&d), None),
        person("admin-xu", "徐区局", Role::DistrictAdmin, &[], None, None),
    ]
}

/// The demo person with `id`.
pub fn person_by_id(id: &str) -> Option<Person> {
    people().into_iter().find(|p| p.id == id)
}
