//! Enterprises (生产经营单位) and their risk colour (四色分级).

use crate::credit_code;
use serde::{Deserialize, Serialize};

/// 四色分级: drives inspection frequency and sampling ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskColour {
    /// 红 重大风险.
    Red,
    /// 橙 较大风险.
    Orange,
    /// 黄 一般风险.
    Yellow,
    /// 蓝 低风险.
    Blue,
}

impl RiskColour {
    /// Parses English or Chinese names (`red`, `红`, `重大`...).
    pub fn parse(s: &str) -> Result<RiskColour, String> {
        match s.trim() {
            "red" | "红" | "红色" | "重大" => Ok(RiskColour::Red),
            "orange" | "橙" | "橙色" | "较大" => Ok(RiskColour::Orange),
            "yellow" | "黄" | "黄色" | "一般" => Ok(RiskColour::Yellow),
            "blue" | "蓝" | "蓝色" | "低" => Ok(RiskColour::Blue),
            other => Err(format!("risk colour '{other}' is not one of red, orange, yellow, blue")),
        }
    }

    /// The name used in files and statistics.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskColour::Red => "red",
            RiskColour::Orange => "orange",
            RiskColour::Yellow => "yellow",
            RiskColour::Blue => "blue",
        }
    }
}

/// 规模: above designated size, below, or micro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    /// 规上.
    AboveDesignated,
    /// 规下.
    BelowDesignated,
    /// 小微.
    Micro,
}

impl SizeClass {
    /// Parses English or Chinese names.
    pub fn parse(s: &str) -> Result<SizeClass, String> {
        match s.trim() {
            "above_designated" | "规上" => Ok(SizeClass::AboveDesignated),
            "below_designated" | "规下" => Ok(SizeClass::BelowDesignated),
            "micro" | "小微" => Ok(SizeClass::Micro),
            other => Err(format!(
                "size class '{other}' is not one of above_designated (规上), below_designated (规下), micro (小微)"
            )),
        }
    }
}

/// A contact person at the enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
    /// What they do (安全负责人, 法定代表人...).
    #[serde(default)]
    pub title: String,
}

/// An enterprise under supervision, keyed by its credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    /// 统一社会信用代码, validated.
    pub credit_code: String,
    /// Registered name.
    pub name: String,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// 镇/街道: decides which supervisor reviews its hidden dangers.
    pub township: String,
    /// 网格.
    #[serde(default)]
    pub grid: String,
    /// Sectors, matching checklist template sectors.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Size class.
    pub size_class: SizeClass,
    /// Risk colour.
    pub risk_colour: RiskColour,
    /// Whether it uses hazardous chemicals.
    #[serde(default)]
    pub hazardous_chemicals: bool,
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

impl Enterprise {
    /// Validates the credit code and the required fields; normalises the code.
    pub fn validate(mut self) -> Result<Enterprise, String> {
        self.credit_code = credit_code::validate(&self.credit_code)?;
        if self.name.trim().is_empty() {
            return Err(format!("enterprise {}: name is empty", self.credit_code));
        }
        if self.township.trim().is_empty() {
            return Err(format!("enterprise {}: township is empty", self.credit_code));
        }
        Ok(self)
    }
}
