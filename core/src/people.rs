//! People, their roles and their scopes (domain.md §1, R1, R2).
//!
//! A person's scope decides what they may see and change; every event carries
//! a snapshot of its author (an [`Actor`]) so that a record stays attributable
//! (R1) and its rules can be re-checked on any replica without a user registry.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a person does in the loop; the rules of §3 are written per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 检查员/执法人员: runs inspections, records hidden dangers, issues orders.
    Inspector,
    /// 企业安全负责人: submits evidence, asks for extensions, writes governance plans.
    Enterprise,
    /// 镇街监管人员: reviews and closes, decides extensions, voids, escalates.
    Supervisor,
    /// 区应急管理局: district-level verification, listing, lowering levels, statistics.
    DistrictAdmin,
}

impl Role {
    /// The role as its users call it in Chinese (console, printed documents).
    pub fn zh(self) -> &'static str {
        match self {
            Role::Inspector => "检查员",
            Role::Enterprise => "企业安全负责人",
            Role::Supervisor => "镇街监管人员",
            Role::DistrictAdmin => "区应急管理局管理员",
        }
    }

    /// Parses the role names used on the command line and in files.
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "inspector" | "检查员" => Ok(Role::Inspector),
            "enterprise" | "企业" => Ok(Role::Enterprise),
            "supervisor" | "监管" => Ok(Role::Supervisor),
            "district_admin" | "district-admin" | "区应急管理局" => Ok(Role::DistrictAdmin),
            other => Err(format!("role '{other}' is not one of inspector, enterprise, supervisor, district_admin")),
        }
    }

    /// The name used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Enterprise => "enterprise",
            Role::Supervisor => "supervisor",
            Role::DistrictAdmin => "district_admin",
        }
    }
}

impl Role {
    /// The role with its article, for messages: "an inspector", "a supervisor".
    pub fn with_article(self) -> &'static str {
        match self {
            Role::Inspector => "an inspector",
            Role::Enterprise => "an enterprise user",
            Role::Supervisor => "a supervisor",
            Role::DistrictAdmin => "a district admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user of the system. The scope fields that matter depend on the role:
/// inspectors have townships, a supervisor has exactly one township, an
/// enterprise user has an enterprise, a district admin sees the district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Stable identifier (account name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// Townships in scope (inspector: several; supervisor: one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    /// The enterprise's credit code, for an enterprise user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    /// 执法证号, required for inspectors who take part in enforcement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_no: Option<String>,
}

impl Person {
    /// Checks that the fields the role needs are present, naming what is missing.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("person id is empty".into());
        }
        if self.name.trim().is_empty() {
            return Err(format!("person {}: name is empty", self.id));
        }
        match self.role {
            Role::Inspector if self.townships.is_empty() => {
                Err(format!("inspector {}: needs at least one township in scope", self.id))
            }
            Role::Supervisor if self.townships.len() != 1 => {
                Err(format!("supervisor {}: needs exactly one township", self.id))
            }
            Role::Enterprise if self.enterprise.is_none() => {
                Err(format!("enterprise user {}: needs the enterprise's credit code", self.id))
            }
            _ => Ok(()),
        }
    }

    /// R2: whether this person may see and act on records of the enterprise
    /// `enterprise` located in `township`.
    pub fn in_scope(&self, enterprise: &str, township: &str) -> bool {
        match self.role {
            Role::DistrictAdmin => true,
            Role::Inspector | Role::Supervisor => self.townships.iter().any(|t| t == township),
            Role::Enterprise => self.enterprise.as_deref() == Some(enterprise),
        }
    }

    /// R2 for the register of people: whether this person sees `other`. An
    /// enterprise user sees itself and the officials (inspectors,
    /// supervisors, the district), never another enterprise's people;
    /// officials see everyone (they pick co-inspectors and deal with every
    /// enterprise of their scope). The server's downloads and the tablet's
    /// lists both use it.
    pub fn sees_person(&self, other: &Person) -> bool {
        match self.role {
            Role::Enterprise => other.id == self.id || other.role != Role::Enterprise,
            Role::Inspector | Role::Supervisor | Role::DistrictAdmin => true,
        }
    }

    /// The supervisor's township, if this is a supervisor.
    pub fn supervised_township(&self) -> Option<&str> {
        match self.role {
            Role::Supervisor => self.townships.first().map(String::as_str),
            _ => None,
        }
    }
}

/// R2 for the district's reference data: only a district admin manages
/// people, enterprises, templates and policy, on a tablet as on the server.
/// Everyone else receives them from the district.
pub fn check_manages_reference(p: &Person, what: &str) -> Result<(), crate::error::RuleError> {
    if p.role == Role::DistrictAdmin {
        Ok(())
    } else {
        Err(crate::error::RuleError::new(
            "R2",
            format!("{} is {}; only a district admin manages {what}", p.id, p.role.with_article()),
        ))
    }
}

/// R2 as SQL, for the tablet's lists and the server's downloads alike: the
/// condition restricting rows with `township` and `enterprise` columns
/// (prefixed by `table`, for example `d.`) to `viewer`'s scope, with
/// numbered placeholders starting at `?{first}`, and the text values to bind
/// to them in order. Scope is decided here and in [`Person::in_scope`] only.
pub fn scope_sql(viewer: &Person, table: &str, first: usize) -> (String, Vec<String>) {
    match viewer.role {
        Role::DistrictAdmin => ("1".into(), vec![]),
        Role::Enterprise => match &viewer.enterprise {
            Some(e) => (format!("{table}enterprise = ?{first}"), vec![e.clone()]),
            None => ("0".into(), vec![]),
        },
        Role::Inspector | Role::Supervisor => {
            if viewer.townships.is_empty() {
                return ("0".into(), vec![]);
            }
            let marks: Vec<String> = (0..viewer.townships.len()).map(|i| format!("?{}", first + i)).collect();
            (format!("{table}township IN ({})", marks.join(", ")), viewer.townships.clone())
        }
    }
}

/// Who did something, from which device: stored inside every event (R1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The person, as they were when they acted (role and scope included).
    pub person: Person,
    /// The device the change was made on.
    pub device_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role) -> Person {
        Person {
            id: "p".into(),
            name: "张三".into(),
            role,
            townships: vec!["玉山镇".into()],
            enterprise: Some("E1".into()),
            certificate_no: None,
        }
    }

    #[test]
    fn scope_by_role() {
        assert!(person(Role::Inspector).in_scope("E9", "玉山镇"));
        assert!(!person(Role::Inspector).in_scope("E9", "周市镇"));
        assert!(person(Role::Enterprise).in_scope("E1", "周市镇"));
        assert!(!person(Role::Enterprise).in_scope("E2", "玉山镇"));
        assert!(person(Role::DistrictAdmin).in_scope("E2", "任何"));
    }

    #[test]
    fn an_enterprise_user_sees_itself_and_the_officials_only() {
        let me = person(Role::Enterprise);
        let other = Person { id: "q".into(), enterprise: Some("E2".into()), ..person(Role::Enterprise) };
        assert!(me.sees_person(&me));
        assert!(!me.sees_person(&other));
        assert!(me.sees_person(&person(Role::Inspector)));
        assert!(person(Role::Supervisor).sees_person(&other));
    }

    #[test]
    fn validate_names_missing_scope() {
        let mut p = person(Role::Supervisor);
        p.townships.push("周市镇".into());
        assert!(p.validate().unwrap_err().contains("exactly one township"));
        assert!(Role::parse("boss").unwrap_err().contains("'boss'"));
    }
}
