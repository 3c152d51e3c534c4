//! The one validator of a written safeguard. A safeguard is written in the manifest
//! (`safeguard = { mechanism = "scc", module = 2 }`) and in annotations (`mechanism=scc module=2`
//! in a Rust attribute or a comment tag, `safeguard=scc` in a tag on a declaration). Each front
//! end reads its own syntax (types, empty values, lists) into a [`SafeguardInput`] of written
//! values with their spans; this module alone decides what those values may be, against the rule
//! data, so the same safeguard gives the same errors wherever it is written.

use crate::date::Date;
use crate::facts::{MechanismKind, Safeguard};
use crate::rules::RuleSet;
use crate::source::Span;

/// A value as written, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written<T> {
    pub value: T,
    pub span: Span,
}

/// A key whose absence is itself an error, so "not written" and "written but unreadable" differ:
/// the front end has already reported an unreadable value (a number where text belongs, an empty
/// value), and the validator must not report it missing as well.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field<T> {
    Absent,
    Unreadable,
    Written(Written<T>),
}

/// A date as the front end found it: the manifest's TOML dates arrive parsed, text is parsed here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WrittenDate {
    Parsed(Date),
    Text(String),
}

/// Everything a safeguard's keys say, before it is validated. `reference` and `tia` are free text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeguardInput {
    pub version: Option<Written<String>>,
    /// The module as written (`2`); a number that is not a module is an error here.
    pub module: Option<Written<String>>,
    pub reference: Option<String>,
    pub signed: Option<Written<WrittenDate>>,
    pub expires: Option<Written<WrittenDate>>,
    pub tia: Option<String>,
    pub derogation: Field<String>,
    /// Where the safeguard as a whole is written: a key it lacks is reported here.
    pub whole: Span,
    /// The span the validated safeguard keeps for findings.
    pub span: Span,
}

impl SafeguardInput {
    /// No key but the mechanism written yet; `whole` and `span` as on the fields.
    pub fn new(whole: Span, span: Span) -> SafeguardInput {
        SafeguardInput {
            version: None,
            module: None,
            reference: None,
            signed: None,
            expires: None,
            tia: None,
            derogation: Field::Absent,
            whole,
            span,
        }
    }
}

/// One problem with a written safeguard, at its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeguardError {
    pub span: Span,
    pub message: String,
}

impl SafeguardError {
    fn new(span: Span, message: impl Into<String>) -> SafeguardError {
        SafeguardError {
            span,
            message: message.into(),
        }
    }
}

/// The first step: the mechanism, which decides what the other keys may be. `key` is the name
/// it is written under (`mechanism`, or `safeguard` in a tag on a declaration); `whole` is where
/// a missing mechanism is reported. A front end reads the other keys only once this succeeds,
/// so a safeguard without a usable mechanism gives one error, not one per key.
pub fn mechanism(
    written: &Field<String>,
    key: &str,
    whole: Span,
) -> Result<MechanismKind, Option<SafeguardError>> {
    match written {
        Field::Absent => Err(Some(SafeguardError::new(
            whole,
            format!(
                "a safeguard needs `{key}`; expected one of {}",
                MechanismKind::allowed_values()
            ),
        ))),
        // The front end said why it could not read it.
        Field::Unreadable => Err(None),
        Field::Written(text) => {
            MechanismKind::parse(&text.value).ok_or_else(|| Some(unknown_mechanism(text)))
        }
    }
}

/// "`X` is not a transfer mechanism", also for `[policy] approved_mechanisms`.
pub fn unknown_mechanism(text: &Written<String>) -> SafeguardError {
    SafeguardError::new(
        text.span,
        format!(
            "`{}` is not a transfer mechanism; expected one of {}",
            text.value,
            MechanismKind::allowed_values()
        ),
    )
}

/// The second step: the other keys, judged for `kind` against the rule data. The safeguard keeps
/// every key that is valid; the errors are the others, in the order of the keys.
pub fn validate(
    kind: MechanismKind,
    input: SafeguardInput,
    rules: &RuleSet,
) -> (Safeguard, Vec<SafeguardError>) {
    let mut errors = Vec::new();
    let mut safeguard = Safeguard {
        mechanism: kind,
        version: None,
        module: None,
        reference: input.reference,
        signed: None,
        expires: None,
        tia: input.tia,
        derogation: None,
        span: Some(input.span),
    };
    if let Some(text) = input.version {
        match version_error(kind, &text, rules) {
            Some(error) => errors.push(error),
            None => safeguard.version = Some(text.value),
        }
    }
    if let Some(text) = input.module {
        match module(kind, &text) {
            Ok(number) => safeguard.module = Some(number),
            Err(error) => errors.push(error),
        }
    }
    safeguard.signed = input.signed.and_then(|d| date(d, "signed", &mut errors));
    safeguard.expires = input.expires.and_then(|d| date(d, "expires", &mut errors));
    match input.derogation {
        Field::Written(text) => match derogation_error(kind, &text, rules) {
            Some(error) => errors.push(error),
            None => safeguard.derogation = Some(text.value),
        },
        Field::Absent if kind == MechanismKind::Derogation => errors.push(SafeguardError::new(
            input.whole,
            format!(
                "`mechanism = \"derogation\"` needs `derogation`, one of {}",
                derogation_list(rules)
            ),
        )),
        Field::Absent | Field::Unreadable => {}
    }
    (safeguard, errors)
}

fn version_error(
    kind: MechanismKind,
    text: &Written<String>,
    rules: &RuleSet,
) -> Option<SafeguardError> {
    let versions = rules
        .mechanism(kind.as_str())
        .map(|m| m.versions.iter().map(|v| v.id.as_str()).collect::<Vec<_>>())
        .unwrap_or_default();
    if versions.contains(&text.value.as_str()) {
        return None;
    }
    let message = if versions.is_empty() {
        format!(
            "`version`: the rule data knows no versions of `{}`",
            kind.as_str()
        )
    } else {
        let allowed = versions
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "`version` = `{}` is not a known version of `{}`; expected one of {allowed}",
            text.value,
            kind.as_str()
        )
    };
    Some(SafeguardError::new(text.span, message))
}

fn module(kind: MechanismKind, text: &Written<String>) -> Result<u8, SafeguardError> {
    match text.value.parse::<u8>() {
        Ok(number @ 1..=4) if kind == MechanismKind::Scc => Ok(number),
        Ok(_) if kind != MechanismKind::Scc => Err(SafeguardError::new(
            text.span,
            "`module` applies only to `mechanism = \"scc\"`",
        )),
        _ => Err(SafeguardError::new(
            text.span,
            "`module` must be an SCC module: 1 (controller to controller), 2 (controller to processor), 3 (processor to processor) or 4 (processor to controller)",
        )),
    }
}

fn date(
    written: Written<WrittenDate>,
    key: &str,
    errors: &mut Vec<SafeguardError>,
) -> Option<Date> {
    match written.value {
        WrittenDate::Parsed(date) => Some(date),
        WrittenDate::Text(text) => match Date::parse(&text) {
            Ok(date) => Some(date),
            Err(error) => {
                errors.push(SafeguardError::new(
                    written.span,
                    format!("`{key}`: {error}"),
                ));
                None
            }
        },
    }
}

fn derogation_error(
    kind: MechanismKind,
    text: &Written<String>,
    rules: &RuleSet,
) -> Option<SafeguardError> {
    if kind != MechanismKind::Derogation {
        return Some(SafeguardError::new(
            text.span,
            "`derogation` applies only to `mechanism = \"derogation\"`",
        ));
    }
    if rules.derogation(&text.value).is_some() {
        return None;
    }
    Some(SafeguardError::new(
        text.span,
        format!(
            "`derogation` = `{}` is not an Art. 49 derogation; expected one of {}",
            text.value,
            derogation_list(rules)
        ),
    ))
}

fn derogation_list(rules: &RuleSet) -> String {
    rules
        .derogations()
        .map(|d| format!("`{}`", d.id))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start..start + 1)
    }

    fn text(value: &str, start: usize) -> Written<String> {
        Written {
            value: value.into(),
            span: at(start),
        }
    }

    fn messages(kind: MechanismKind, input: SafeguardInput) -> Vec<(u32, String)> {
        let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let (_, errors) = validate(kind, input, &rules);
        errors
            .into_iter()
            .map(|e| (e.span.start, e.message))
            .collect()
    }

    #[test]
    fn the_mechanism_decides_first() {
        let missing = mechanism(&Field::Absent, "safeguard", at(3));
        assert!(matches!(missing, Err(Some(ref e)) if e.span == at(3)
            && e.message.starts_with("a safeguard needs `safeguard`; expected one of `adequacy`")));
        assert!(matches!(
            mechanism(&Field::Unreadable, "mechanism", at(3)),
            Err(None)
        ));
        let unknown = mechanism(&Field::Written(text("sccc", 9)), "mechanism", at(3));
        assert!(matches!(unknown, Err(Some(ref e)) if e.span == at(9)
            && e.message.starts_with("`sccc` is not a transfer mechanism")));
        assert!(matches!(
            mechanism(&Field::Written(text("scc", 9)), "mechanism", at(3)),
            Ok(MechanismKind::Scc)
        ));
    }

    #[test]
    fn each_key_is_judged_for_the_mechanism_at_its_span() {
        let mut input = SafeguardInput::new(at(0), at(0));
        input.version = Some(text("1999/1", 10));
        input.module = Some(text("5", 20));
        input.signed = Some(Written {
            value: WrittenDate::Text("2021-02-30".into()),
            span: at(30),
        });
        input.derogation = Field::Written(text("explicit-consent", 40));
        let found = messages(MechanismKind::Scc, input);
        let spans: Vec<u32> = found.iter().map(|(span, _)| *span).collect();
        assert_eq!(spans, vec![10, 20, 30, 40], "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("`version` = `1999/1` is not a known version of `scc`")
        );
        assert!(found[1].1.starts_with("`module` must be an SCC module: 1"));
        assert!(found[2].1.starts_with("`signed`: "));
        assert_eq!(
            found[3].1,
            "`derogation` applies only to `mechanism = \"derogation\"`"
        );
    }

    #[test]
    fn a_derogation_needs_one_that_article_49_has() {
        let input = SafeguardInput::new(at(7), at(8));
        let found = messages(MechanismKind::Derogation, input);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 7);
        assert!(found[0].1.starts_with(
            "`mechanism = \"derogation\"` needs `derogation`, one of `explicit-consent`"
        ));
        let mut input = SafeguardInput::new(at(7), at(8));
        input.derogation = Field::Unreadable;
        assert_eq!(messages(MechanismKind::Derogation, input), Vec::new());
        let mut input = SafeguardInput::new(at(7), at(8));
        input.module = Some(text("2", 4));
        let found = messages(MechanismKind::Bcr, input);
        assert_eq!(
            found,
            vec![(
                4,
                "`module` applies only to `mechanism = \"scc\"`".to_string()
            )]
        );
    }
}
