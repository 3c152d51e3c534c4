//! TEMPORARY shim with the rule-data API; replaced by the real loader from the `rules` branch.
#![allow(dead_code, unused_variables, missing_debug_implementations)]
use crate::date::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Confidence { C, C2, K, U }
impl Confidence { pub fn is_verified(&self) -> bool { matches!(self, Confidence::C | Confidence::C2) } }

#[derive(Debug, Clone, serde::Serialize)]
pub struct Jurisdiction { pub code: String, pub name: String, pub confidence: Confidence, pub source: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Region { pub provider: String, pub id: String, pub name: String, pub countries: Vec<String>, pub multi_region: bool, pub confidence: Confidence, pub source: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provider { pub id: String, pub name: String, pub legal_entity: String, pub country: String, pub certifications: Vec<String>, pub confidence: Confidence, pub source: String }
#[derive(Debug, Clone, serde::Serialize)]
pub enum ConditionKind { Certification(String), Assumed }
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScopeCondition { pub kind: ConditionKind, pub description: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdequacyDecision { pub id: String, pub jurisdiction: String, pub instrument: String, pub adopted: Date, pub expires: Option<Date>, pub scope: String, pub conditions: Vec<ScopeCondition>, pub litigation: Option<String>, pub confidence: Confidence, pub source: String }
impl AdequacyDecision { pub fn in_force_on(&self, date: Date) -> bool { self.adopted <= date && self.expires.is_none_or(|e| date <= e) } }
#[derive(Debug, Clone, serde::Serialize)]
pub struct MechanismVersion { pub id: String, pub instrument: String, pub transfer_tool: bool, pub valid_from: Option<Date>, pub signed_before: Option<Date>, pub valid_until: Option<Date>, pub modules: Vec<u8>, pub note: Option<String> }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mechanism { pub id: String, pub name: String, pub article: String, pub requires_tia: bool, pub requires_reference: bool, pub versions: Vec<MechanismVersion>, pub source: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Derogation { pub id: String, pub article: String, pub name: String, pub occasional_only: bool, pub note: Option<String>, pub source: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Category { pub key: String, pub name: String, pub parent: Option<String> }
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpecialCategory { pub category: String, pub article: String, pub kind: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Endpoint { pub host: String, pub countries: Vec<String>, pub note: Option<String> }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Vendor { pub id: String, pub name: String, pub legal_entity: String, pub country: String, pub certifications: Vec<String>, pub domains: Vec<String>, pub endpoints: Vec<Endpoint>, pub confidence: Confidence, pub source: String }
#[derive(Debug, Clone)]
pub struct VendorMatch<'a> { pub vendor: &'a Vendor, pub endpoint: Option<&'a Endpoint>, pub countries: Vec<String> }
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleFileMeta { pub file: String, pub title: String, pub version: String, pub as_of: Date, pub source: String, pub records: usize }
#[derive(Debug, Clone)]
pub struct RuleDataError { pub file: String, pub line: usize, pub column: usize, pub message: String }
#[derive(Debug, Clone, Default)]
pub struct RuleSet { j: Vec<Jurisdiction>, r: Vec<Region>, p: Vec<Provider>, a: Vec<AdequacyDecision>, m: Vec<Mechanism>, d: Vec<Derogation>, c: Vec<Category>, s: Vec<SpecialCategory>, v: Vec<Vendor>, f: Vec<RuleFileMeta> }
impl RuleSet {
    pub fn builtin() -> Result<RuleSet, Vec<RuleDataError>> { Ok(RuleSet::default()) }
    pub fn load(dir: Option<&std::path::Path>) -> Result<RuleSet, Vec<RuleDataError>> { Ok(RuleSet::default()) }
    pub fn jurisdiction(&self, code: &str) -> Option<&Jurisdiction> { self.j.iter().find(|j| j.code.eq_ignore_ascii_case(code)) }
    pub fn is_eea(&self, code: &str) -> bool { false }
    pub fn jurisdictions(&self) -> impl Iterator<Item=&Jurisdiction> { self.j.iter() }
    pub fn eea_countries(&self) -> Vec<&str> { vec![] }
    pub fn eu_countries(&self) -> Vec<&str> { vec![] }
    pub fn region(&self, provider: &str, region: &str) -> Option<&Region> { None }
    pub fn regions(&self) -> impl Iterator<Item=&Region> { self.r.iter() }
    pub fn region_anywhere(&self, region: &str) -> Vec<&Region> { vec![] }
    pub fn provider(&self, id: &str) -> Option<&Provider> { None }
    pub fn providers(&self) -> impl Iterator<Item=&Provider> { self.p.iter() }
    pub fn adequacy_decisions(&self, j: &str) -> Vec<&AdequacyDecision> { vec![] }
    pub fn mechanism(&self, id: &str) -> Option<&Mechanism> { None }
    pub fn mechanisms(&self) -> impl Iterator<Item=&Mechanism> { self.m.iter() }
    pub fn derogation(&self, id: &str) -> Option<&Derogation> { None }
    pub fn derogations(&self) -> impl Iterator<Item=&Derogation> { self.d.iter() }
    pub fn category(&self, key: &str) -> Option<&Category> { None }
    pub fn categories(&self) -> impl Iterator<Item=&Category> { self.c.iter() }
    pub fn special_category(&self, key: &str) -> Option<&SpecialCategory> { None }
    pub fn special_descendants(&self, key: &str) -> Vec<&SpecialCategory> { vec![] }
    pub fn is_personal_category(&self, key: &str) -> bool { true }
    pub fn closest_category(&self, unknown: &str) -> Option<&str> { None }
    pub fn vendor(&self, id: &str) -> Option<&Vendor> { None }
    pub fn vendors(&self) -> impl Iterator<Item=&Vendor> { self.v.iter() }
    pub fn vendor_for_host(&self, host: &str) -> Option<VendorMatch<'_>> { None }
    pub fn files(&self) -> &[RuleFileMeta] { &self.f }
}
