//! Terraform's built-in functions that public modules apply to regions, names and the collections
//! that hold them. Each evaluates its arguments through the evaluator (so every argument is a
//! step and is charged), and checks the weight of what it builds before building it, so a hostile
//! `concat`, `flatten` or `join` stops at [`MAX_VALUE_WEIGHT`] instead of exhausting memory.
//!
//! A function whose arguments are known but wrong (a missing key without a default, an empty
//! list for `element`) fails as Terraform would: such a failure is *definite* and `try` and `can`
//! move past it. A function whose arguments are not known is unknown, and so is its result:
//! `try` does not guess past an unknown.

use super::{ELEMENT_WEIGHT, Eval, Evaluator, MAX_DEPTH, MAX_VALUE_WEIGHT, Value, weight};
use hcl_edit::expr::{Expression, FuncCall};
use std::collections::BTreeMap;

impl Evaluator<'_, '_> {
    // long-fn: one arm per HCL function name; splitting the dispatch would scatter the table.
    pub(super) fn function(&mut self, call: &FuncCall) -> Eval {
        let name = call.name.name.value().as_str();
        // A namespaced function (`provider::aws::arn_parse`) is not one of Terraform's built-ins.
        if !call.name.namespace.is_empty() {
            return Err(format!("the provider function `{name}` is not evaluated"));
        }
        let args: Vec<&Expression> = call.args.iter().collect();
        // `f(list...)` expands a list into arguments; only `concat`, `merge`, `coalesce` and
        // `join`'s lists are written that way in practice, and none of them is evaluated so.
        if call.args.expand_final() {
            return Err(format!(
                "`{name}(...)` with expanded arguments is not evaluated"
            ));
        }
        match (name, args.as_slice()) {
            ("lookup", [map, key, rest @ ..]) if rest.len() <= 1 => {
                let map = self.eval(map)?;
                let key = self.text(key, "lookup")?;
                match map {
                    Value::Map(mut entries) => match entries.remove(&key) {
                        Some(value) => Ok(value),
                        None => match rest.first() {
                            Some(default) => self.eval(default),
                            None => Err(self.failed(format!("the map has no key `{key}`"))),
                        },
                    },
                    _ => Err(self.failed("the first argument of `lookup` is not a map".into())),
                }
            }
            ("lower" | "upper" | "trimspace" | "tostring", [arg]) => {
                let value = self.eval(arg)?;
                if name == "tostring" && value == Value::Null {
                    return Ok(Value::Null);
                }
                let text = value.as_text().ok_or_else(|| {
                    self.failed(format!("the argument of `{name}` is not a string"))
                })?;
                Ok(Value::String(match name {
                    "lower" => text.to_lowercase(),
                    "upper" => text.to_uppercase(),
                    "trimspace" => text.trim().to_string(),
                    _ => text,
                }))
            }
            ("coalesce", args) if !args.is_empty() => {
                for arg in args {
                    match self.eval(arg)? {
                        Value::Null => continue,
                        Value::String(text) if text.is_empty() => continue,
                        value => return Ok(value),
                    }
                }
                Err(self.failed("every argument of `coalesce` is null or empty".into()))
            }
            ("try", args) if !args.is_empty() => {
                for arg in args {
                    match self.attempt(arg) {
                        Ok(Some(value)) => return Ok(value),
                        Ok(None) => continue,
                        Err(unknown) => return Err(unknown),
                    }
                }
                Err(self.failed("no argument of `try` can be evaluated".into()))
            }
            ("can", [arg]) => Ok(Value::Bool(self.attempt(arg)?.is_some())),
            ("element", [list, index]) => {
                let list = self.eval(list)?;
                let index = self.number(index, "element")?;
                if index < 0.0 || index.fract() != 0.0 {
                    return Err(
                        self.failed("the `element` index is not a whole number from 0".into())
                    );
                }
                match list {
                    Value::List(items) if !items.is_empty() => {
                        // Terraform wraps the index around the list's length.
                        let position = (index % items.len() as f64) as usize;
                        items.into_iter().nth(position).ok_or_else(|| {
                            self.failed("the `element` index is out of range".into())
                        })
                    }
                    _ => Err(self
                        .failed("the first argument of `element` is not a non-empty list".into())),
                }
            }
            ("merge", args) => {
                let mut merged = BTreeMap::new();
                let mut total = ELEMENT_WEIGHT;
                for arg in args {
                    match self.eval(arg)? {
                        Value::Null => {}
                        Value::Map(entries) => {
                            for (key, value) in entries {
                                total = total
                                    .saturating_add(key.len())
                                    .saturating_add(weight(&value, MAX_VALUE_WEIGHT));
                                self.check_weight(total)?;
                                merged.insert(key, value);
                            }
                        }
                        _ => return Err(self.failed("an argument of `merge` is not a map".into())),
                    }
                }
                Ok(Value::Map(merged))
            }
            ("concat", args) => {
                let mut items = Vec::new();
                let mut total = ELEMENT_WEIGHT;
                for arg in args {
                    let Value::List(list) = self.eval(arg)? else {
                        return Err(self.failed("an argument of `concat` is not a list".into()));
                    };
                    for item in list {
                        total = total.saturating_add(weight(&item, MAX_VALUE_WEIGHT));
                        self.check_weight(total)?;
                        items.push(item);
                    }
                }
                Ok(Value::List(items))
            }
            ("flatten", [arg]) => {
                let value = self.eval(arg)?;
                let mut items = Vec::new();
                let mut total = ELEMENT_WEIGHT;
                self.flatten_into(value, &mut items, &mut total, 0)?;
                Ok(Value::List(items))
            }
            ("tolist", [arg]) => match self.eval(arg)? {
                value @ (Value::List(_) | Value::Null) => Ok(value),
                _ => Err(self.failed("the argument of `tolist` is not a list or set".into())),
            },
            ("toset", [arg]) => match self.eval(arg)? {
                Value::List(mut items) => {
                    // A set of strings iterates in lexical order, without duplicates.
                    items.sort();
                    items.dedup();
                    Ok(Value::List(items))
                }
                Value::Null => Ok(Value::Null),
                _ => Err(self.failed("the argument of `toset` is not a list or set".into())),
            },
            ("tomap", [arg]) => match self.eval(arg)? {
                value @ (Value::Map(_) | Value::Null) => Ok(value),
                _ => Err(self.failed("the argument of `tomap` is not a map or object".into())),
            },
            ("keys", [arg]) => match self.eval(arg)? {
                Value::Map(entries) => Ok(Value::List(
                    entries.into_keys().map(Value::String).collect(),
                )),
                _ => Err(self.failed("the argument of `keys` is not a map".into())),
            },
            ("values", [arg]) => match self.eval(arg)? {
                Value::Map(entries) => Ok(Value::List(entries.into_values().collect())),
                _ => Err(self.failed("the argument of `values` is not a map".into())),
            },
            ("length", [arg]) => match self.eval(arg)? {
                Value::List(items) => Ok(number_value(items.len() as f64)),
                Value::Map(entries) => Ok(number_value(entries.len() as f64)),
                Value::String(text) => Ok(number_value(text.chars().count() as f64)),
                _ => Err(self.failed("the argument of `length` has no length".into())),
            },
            ("contains", [list, value]) => {
                let Value::List(items) = self.eval(list)? else {
                    return Err(
                        self.failed("the first argument of `contains` is not a list".into())
                    );
                };
                let value = self.eval(value)?;
                Ok(Value::Bool(
                    items.iter().any(|item| super::same(item, &value)),
                ))
            }
            ("distinct", [arg]) => {
                let Value::List(items) = self.eval(arg)? else {
                    return Err(self.failed("the argument of `distinct` is not a list".into()));
                };
                let mut seen = std::collections::BTreeSet::new();
                let mut kept = Vec::new();
                for item in items {
                    if seen.insert(item.clone()) {
                        kept.push(item);
                    }
                }
                Ok(Value::List(kept))
            }
            ("compact", [arg]) => {
                let Value::List(items) = self.eval(arg)? else {
                    return Err(self.failed("the argument of `compact` is not a list".into()));
                };
                Ok(Value::List(
                    items
                        .into_iter()
                        .filter(|item| match item {
                            Value::Null => false,
                            Value::String(text) => !text.is_empty(),
                            _ => true,
                        })
                        .collect(),
                ))
            }
            ("one", [arg]) => match self.eval(arg)? {
                Value::List(items) if items.len() <= 1 => {
                    Ok(items.into_iter().next().unwrap_or(Value::Null))
                }
                Value::List(_) => Err(self.failed("`one` is given more than one element".into())),
                Value::Null => Ok(Value::Null),
                _ => Err(self.failed("the argument of `one` is not a list".into())),
            },
            ("startswith" | "endswith", [text, affix]) => {
                let text = self.text(text, name)?;
                let affix = self.text(affix, name)?;
                Ok(Value::Bool(if name == "startswith" {
                    text.starts_with(&affix)
                } else {
                    text.ends_with(&affix)
                }))
            }
            ("join", [separator, lists @ ..]) if !lists.is_empty() => {
                let separator = self.text(separator, "join")?;
                let mut parts = Vec::new();
                let mut total = 0usize;
                for list in lists {
                    let Value::List(items) = self.eval(list)? else {
                        return Err(self.failed("an argument of `join` is not a list".into()));
                    };
                    for item in items {
                        let part = item.as_text().ok_or_else(|| {
                            self.failed("an element given to `join` is not a string".into())
                        })?;
                        total = total
                            .saturating_add(part.len())
                            .saturating_add(separator.len());
                        self.check_weight(total)?;
                        parts.push(part);
                    }
                }
                Ok(Value::String(parts.join(&separator)))
            }
            ("split", [separator, text]) => {
                let separator = self.text(separator, "split")?;
                let text = self.text(text, "split")?;
                if separator.is_empty() {
                    return Err("`split` with an empty separator is not evaluated".into());
                }
                // Each piece weighs its text plus an element: many empty pieces are not free.
                let pieces = text.matches(separator.as_str()).count().saturating_add(1);
                self.check_weight(
                    pieces
                        .saturating_mul(ELEMENT_WEIGHT)
                        .saturating_add(text.len()),
                )?;
                Ok(Value::List(
                    text.split(separator.as_str())
                        .map(|piece| Value::String(piece.to_string()))
                        .collect(),
                ))
            }
            ("replace", [text, search, replacement]) => {
                let text = self.text(text, "replace")?;
                let search = self.text(search, "replace")?;
                let replacement = self.text(replacement, "replace")?;
                if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
                    return Err("`replace` with a regular expression is not evaluated".into());
                }
                if search.is_empty() {
                    return Err("`replace` with an empty search string is not evaluated".into());
                }
                let count = text.matches(search.as_str()).count();
                self.check_weight(
                    text.len()
                        .saturating_add(count.saturating_mul(replacement.len())),
                )?;
                Ok(Value::String(text.replace(search.as_str(), &replacement)))
            }
            ("slice", [list, start, end]) => {
                let Value::List(items) = self.eval(list)? else {
                    return Err(self.failed("the first argument of `slice` is not a list".into()));
                };
                let start = self.number(start, "slice")?;
                let end = self.number(end, "slice")?;
                let whole = |n: f64| (n >= 0.0 && n.fract() == 0.0).then_some(n as usize);
                match (whole(start), whole(end)) {
                    (Some(start), Some(end)) if start <= end && end <= items.len() => Ok(
                        Value::List(items.into_iter().skip(start).take(end - start).collect()),
                    ),
                    _ => Err(self.failed("the `slice` indices are out of range".into())),
                }
            }
            ("format", [spec, args @ ..]) => {
                let spec = self.text(spec, "format")?;
                let mut values = Vec::new();
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                self.format(&spec, &values)
            }
            _ => Err(format!("the function `{name}` is not evaluated")),
        }
    }

    /// Evaluates `expr` for `try` and `can`: its value, `None` when it fails as it would in
    /// Terraform, or the reason it is unknown.
    fn attempt(&mut self, expr: &Expression) -> Result<Option<Value>, String> {
        self.scope.failure = None;
        match self.eval(expr) {
            Ok(value) => Ok(Some(value)),
            Err(reason) if self.scope.failure.as_deref() == Some(reason.as_str()) => {
                self.scope.failure = None;
                Ok(None)
            }
            Err(reason) => Err(reason),
        }
    }

    /// An argument that must be text.
    fn text(&mut self, expr: &Expression, function: &str) -> Result<String, String> {
        let value = self.eval(expr)?;
        value
            .as_text()
            .ok_or_else(|| self.failed(format!("an argument of `{function}` is not a string")))
    }

    /// An argument that must be a number.
    fn number(&mut self, expr: &Expression, function: &str) -> Result<f64, String> {
        let value = self.eval(expr)?;
        super::number(&value)
            .ok_or_else(|| self.failed(format!("an argument of `{function}` is not a number")))
    }

    fn flatten_into(
        &mut self,
        value: Value,
        items: &mut Vec<Value>,
        total: &mut usize,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("the list given to `flatten` is nested too deeply".into());
        }
        match value {
            Value::List(inner) => {
                for item in inner {
                    match item {
                        Value::List(_) => self.flatten_into(item, items, total, depth + 1)?,
                        other => {
                            *total = total.saturating_add(weight(&other, MAX_VALUE_WEIGHT));
                            self.check_weight(*total)?;
                            items.push(other);
                        }
                    }
                }
                Ok(())
            }
            _ => Err(self.failed("the argument of `flatten` is not a list".into())),
        }
    }

    /// `format` with the verbs modules use on names: `%s`, `%d`, `%v`, `%q` and `%%`.
    fn format(&mut self, spec: &str, values: &[Value]) -> Eval {
        let mut out = String::new();
        let mut next = values.iter();
        let mut chars = spec.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let verb = chars.next();
            if verb == Some('%') {
                out.push('%');
                continue;
            }
            let Some(value) = next.next() else {
                return Err(self.failed("`format` has fewer arguments than verbs".into()));
            };
            let part = match (verb, value) {
                (Some('d'), value) => match super::number(value) {
                    Some(number) if number.fract() == 0.0 => number_text(number),
                    _ => {
                        return Err(
                            self.failed("`%d` is given a value that is not a whole number".into())
                        );
                    }
                },
                (Some('s' | 'v'), value) => value.as_text().ok_or_else(|| {
                    self.failed("`format` is given a value that is not a string".into())
                })?,
                (Some('q'), value) => {
                    let text = value.as_text().ok_or_else(|| {
                        self.failed("`%q` is given a value that is not a string".into())
                    })?;
                    format!("{text:?}")
                }
                (verb, _) => {
                    return Err(format!(
                        "the `format` verb `%{}` is not evaluated",
                        verb.map(String::from).unwrap_or_default()
                    ));
                }
            };
            self.check_weight(out.len().saturating_add(part.len()))?;
            out.push_str(&part);
        }
        if next.next().is_some() {
            return Err(self.failed("`format` has more arguments than verbs".into()));
        }
        Ok(Value::String(out))
    }
}

/// A number as Terraform prints it: whole numbers without a fraction.
pub(super) fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

pub(super) fn number_value(number: f64) -> Value {
    Value::Number(number_text(number))
}
