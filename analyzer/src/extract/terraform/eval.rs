//! Static evaluation of the small part of Terraform's expression language that places data:
//! literals, `var.*`, `local.*`, resource arguments, `"${...}"` templates, `lookup`, indexing and
//! conditionals. Anything else is unresolved with a reason, never guessed.
//!
//! The files come from a pull request, so evaluation is bounded whatever they say: each local,
//! resource argument, module input and variable default is evaluated once per module instance and
//! remembered (a chain of locals that doubles at each step costs its length, not two to the
//! length); a reference back to a value still being evaluated is a cycle; a value may not grow
//! past [`MAX_VALUE_WEIGHT`]; and a module instance and a whole module tree have a budget of
//! evaluation steps. What exceeds a bound is unknown, with an `input-error` at the line of the
//! local or argument that exceeded it.

use super::module::{Instance, Module};
use crate::source::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// How many references (variables, locals, resource arguments) one evaluation may follow. Real
/// configurations need a handful; hostile inputs stop here, which also bounds the stack.
const MAX_DEPTH: usize = 32;

/// The largest value an expression may evaluate to, in bytes of text plus [`ELEMENT_WEIGHT`] for
/// every value. Regions, names and the maps that hold them are far smaller; a policy document in
/// a heredoc is a few kilobytes.
pub(crate) const MAX_VALUE_WEIGHT: usize = 1 << 20;

/// What one value weighs besides its text: collections of empty strings are not free.
const ELEMENT_WEIGHT: usize = 16;

/// Evaluation steps one module instance may take. Every expression evaluated and every remembered
/// value reused is a step; a real module takes a few thousand.
pub(crate) const INSTANCE_STEPS: u64 = 200_000;

/// Evaluation steps one root module with all its module instances may take.
pub(crate) const TREE_STEPS: u64 = 1_000_000;

/// The total weight of the values one root module tree may produce (each value counted every time
/// it is built or copied): this bounds the time spent copying large values around.
pub(crate) const TREE_WEIGHT: u64 = 64 << 20;

/// The evaluation budget shared by every module instance of one root module tree.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    steps: Cell<u64>,
    weight: Cell<u64>,
    /// Whether running out has been reported already (it is reported once per tree).
    reported: Cell<bool>,
}

/// A value being evaluated, or its result.
#[derive(Debug)]
enum Slot {
    /// Being evaluated: reaching it again is a cycle.
    Busy,
    Done(Eval),
}

/// What one module instance remembers of its evaluations, and the bound problems they met.
/// Evaluation depends only on the module, the instance's inputs and, for a variable the call
/// leaves unset, its call's name (in the reason), so instances that agree on these share one memo:
/// a module called many times with the same inputs is evaluated once.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// Results by the address of the expression evaluated (expressions live as long as the
    /// instance's module, so an address names one expression for the instance's lifetime).
    values: RefCell<BTreeMap<usize, Slot>>,
    steps: Cell<u64>,
    /// Whether running out of the instance's steps has been reported already.
    reported: Cell<bool>,
    /// Input errors: (span, message), in the order met.
    problems: RefCell<Vec<(Option<Span>, String)>>,
}

impl Memo {
    /// The input errors met so far, leaving none.
    pub(crate) fn take_problems(&self) -> Vec<(Option<Span>, String)> {
        self.problems.take()
    }
}

/// The weight of a value (see [`MAX_VALUE_WEIGHT`]); stops counting once past `limit`.
fn weight(value: &Value, limit: usize) -> usize {
    match value {
        Value::Null | Value::Bool(_) => ELEMENT_WEIGHT,
        Value::Number(text) | Value::String(text) => ELEMENT_WEIGHT + text.len(),
        Value::List(items) => {
            let mut total = ELEMENT_WEIGHT;
            for item in items {
                total = total.saturating_add(weight(item, limit));
                if total > limit {
                    break;
                }
            }
            total
        }
        Value::Map(entries) => {
            let mut total = ELEMENT_WEIGHT;
            for (key, item) in entries {
                total = total
                    .saturating_add(key.len())
                    .saturating_add(weight(item, limit));
                if total > limit {
                    break;
                }
            }
            total
        }
    }
}

/// A statically known value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The value as text, for strings and the scalars Terraform converts to strings.
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Value::String(text) | Value::Number(text) => Some(text.clone()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }
}

/// A value, or why it cannot be known before `terraform apply`.
pub(crate) type Eval = Result<Value, String>;

/// The source text of an expression, for messages.
pub(crate) fn describe(expr: &Expression) -> String {
    let text = expr.to_string();
    let text = text.trim();
    if text.chars().count() > 60 {
        let short: String = text.chars().take(57).collect();
        format!("{short}...")
    } else {
        text.to_string()
    }
}

/// Evaluates an expression written in `instance`'s module.
pub(crate) fn eval(expr: &Expression, instance: &Instance<'_>) -> Eval {
    Evaluator {
        instance,
        depth: 0,
        owners: Vec::new(),
        cut: false,
    }
    .remembered(expr)
}

/// Evaluates a literal expression (tfvars files hold only literals).
pub(crate) fn eval_literal(expr: &Expression) -> Eval {
    literal(expr, 0)
}

fn literal(expr: &Expression, depth: usize) -> Eval {
    if depth > MAX_DEPTH {
        return Err("the value is nested too deeply".into());
    }
    match expr {
        Expression::Null(_) => Ok(Value::Null),
        Expression::Bool(flag) => Ok(Value::Bool(*flag.value())),
        Expression::Number(number) => Ok(Value::Number(number.value().to_string())),
        Expression::String(text) => Ok(Value::String(text.value().clone())),
        Expression::Array(array) => array
            .iter()
            .map(|item| literal(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        Expression::Object(object) => {
            let mut map = BTreeMap::new();
            for (key, value) in object.iter() {
                let key = object_key(key, &mut |e| literal(e, depth + 1))?;
                map.insert(key, literal(value.expr(), depth + 1)?);
            }
            Ok(Value::Map(map))
        }
        Expression::Parenthesis(inner) => literal(inner.inner(), depth + 1),
        other => Err(format!("`{}` is not a literal", describe(other))),
    }
}

fn object_key(
    key: &ObjectKey,
    eval: &mut dyn FnMut(&Expression) -> Eval,
) -> Result<String, String> {
    match key {
        ObjectKey::Ident(ident) => Ok(ident.value().as_str().to_string()),
        ObjectKey::Expression(expr) => match expr {
            // `{ (var.x) = ... }` is an expression key; a bare `foo.bar` key is a string in HCL.
            Expression::Variable(ident) => Ok(ident.value().as_str().to_string()),
            other => eval(other)?
                .as_text()
                .ok_or_else(|| format!("object key `{}` is not a string", describe(other))),
        },
    }
}

/// The address that names an expression in a [`Memo`] and in the module's owners.
pub(crate) fn key_of(expr: &Expression) -> usize {
    std::ptr::from_ref(expr).addr()
}

struct Evaluator<'i, 'a> {
    instance: &'i Instance<'a>,
    depth: usize,
    /// The locals and arguments being evaluated, innermost last (keys of the module's owners):
    /// where a bound is exceeded, the innermost is reported.
    owners: Vec<usize>,
    /// Whether the current evaluation was cut by [`MAX_DEPTH`]: such a result depends on how deep
    /// the evaluation started, so it is not remembered.
    cut: bool,
}

impl Evaluator<'_, '_> {
    /// Evaluates `expr` once per instance: later calls reuse the result.
    fn remembered(&mut self, expr: &Expression) -> Eval {
        self.remembered_with(expr, &mut |this| this.eval(expr))
    }

    fn remembered_with(
        &mut self,
        expr: &Expression,
        evaluate: &mut dyn FnMut(&mut Self) -> Eval,
    ) -> Eval {
        let key = key_of(expr);
        let memo = &self.instance.memo;
        let known = match memo.values.borrow().get(&key) {
            None => None,
            Some(Slot::Busy) => Some(None),
            Some(Slot::Done(result)) => Some(Some(result.clone())),
        };
        match known {
            Some(Some(result)) => {
                self.step(false)?;
                if let Ok(value) = &result {
                    self.charge(value)?;
                }
                return result;
            }
            Some(None) => return Err(self.cycle(key)),
            None => {}
        }
        memo.values.borrow_mut().insert(key, Slot::Busy);
        let owned = self.instance.module.owners.contains_key(&key);
        if owned {
            self.owners.push(key);
        }
        let outer_cut = std::mem::take(&mut self.cut);
        let result = evaluate(self);
        if owned {
            self.owners.pop();
        }
        if self.cut {
            memo.values.borrow_mut().remove(&key);
        } else {
            memo.values
                .borrow_mut()
                .insert(key, Slot::Done(result.clone()));
        }
        self.cut |= outer_cut;
        result
    }

    fn eval(&mut self, expr: &Expression) -> Eval {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            self.cut = true;
            Err("references nest too deeply (a cycle?)".into())
        } else {
            self.step(true).and_then(|()| self.eval_inner(expr))
        };
        self.depth -= 1;
        let value = result?;
        self.charge(&value)?;
        Ok(value)
    }

    /// How the innermost local or argument being evaluated is named, with its span.
    fn owner(&self, key: Option<usize>) -> (Option<Span>, String) {
        let module = self.instance.module;
        match key
            .or_else(|| self.owners.last().copied())
            .and_then(|key| module.owners.get(&key))
        {
            Some(owner) => (
                super::resources::span_of(owner.file, owner.attribute),
                format!("`{}`", owner.name),
            ),
            None => (None, format!("a value in module `{}`", module.dir)),
        }
    }

    fn report(&self, span: Option<Span>, message: String) {
        self.instance
            .memo
            .problems
            .borrow_mut()
            .push((span, message));
    }

    /// One evaluation step, within the instance's and the tree's budgets. A remembered value
    /// reused (`own` false) counts against the tree's budget only: an instance that shares the
    /// memo of an identical one (see `Memo`) sees the same values, not an exhausted budget.
    fn step(&mut self, own: bool) -> Result<(), String> {
        let memo = &self.instance.memo;
        let budget = &self.instance.budget;
        if own {
            memo.steps.set(memo.steps.get().saturating_add(1));
        }
        budget.steps.set(budget.steps.get().saturating_add(1));
        let (limit, reported) = if budget.steps.get() > TREE_STEPS {
            (
                format!("{TREE_STEPS} steps for the module tree"),
                &budget.reported,
            )
        } else if memo.steps.get() > INSTANCE_STEPS {
            (format!("{INSTANCE_STEPS} steps per module"), &memo.reported)
        } else {
            return Ok(());
        };
        if !reported.replace(true) {
            let (span, name) = self.owner(None);
            self.report(
                span,
                format!("terraform: evaluating {name} exceeds the evaluation budget ({limit}); it and the values evaluated after it are treated as unknown"),
            );
        }
        Err(format!("the evaluation budget ({limit}) is exhausted"))
    }

    /// Counts a value built or copied against the bounds on values and on the tree's work.
    fn charge(&mut self, value: &Value) -> Result<(), String> {
        let weight = weight(value, MAX_VALUE_WEIGHT);
        self.check_weight(weight)?;
        let budget = &self.instance.budget;
        budget.weight.set(
            budget
                .weight
                .get()
                .saturating_add(u64::try_from(weight).unwrap_or(u64::MAX)),
        );
        if budget.weight.get() > TREE_WEIGHT {
            if !budget.reported.replace(true) {
                let (span, name) = self.owner(None);
                self.report(
                    span,
                    format!("terraform: evaluating {name} exceeds the evaluation budget ({TREE_WEIGHT} bytes of values for the module tree); it and the values evaluated after it are treated as unknown"),
                );
            }
            return Err("the evaluation budget is exhausted".into());
        }
        Ok(())
    }

    /// A value (or a part of one being built) of `weight` must stay within [`MAX_VALUE_WEIGHT`].
    fn check_weight(&self, weight: usize) -> Result<(), String> {
        if weight <= MAX_VALUE_WEIGHT {
            return Ok(());
        }
        let (span, name) = self.owner(None);
        self.report(
            span,
            format!("terraform: {name} would be larger than {MAX_VALUE_WEIGHT} bytes; it is treated as unknown"),
        );
        Err(format!(
            "{name} would be larger than {MAX_VALUE_WEIGHT} bytes"
        ))
    }

    /// `key` was reached again while being evaluated.
    fn cycle(&self, key: usize) -> String {
        let (span, name) = self.owner(Some(key));
        self.report(
            span,
            format!("terraform: {name} refers to itself through a cycle of references; it is treated as unknown"),
        );
        format!("{name} is part of a cycle of references")
    }

    fn eval_inner(&mut self, expr: &Expression) -> Eval {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => literal(expr, 0),
            Expression::Array(array) => {
                let mut items = Vec::new();
                let mut total = ELEMENT_WEIGHT;
                for item in array.iter() {
                    let item = self.eval(item)?;
                    total = total.saturating_add(weight(&item, MAX_VALUE_WEIGHT));
                    self.check_weight(total)?;
                    items.push(item);
                }
                Ok(Value::List(items))
            }
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                let mut total = ELEMENT_WEIGHT;
                for (key, value) in object.iter() {
                    let key = object_key(key, &mut |e| self.eval(e))?;
                    let value = self.eval(value.expr())?;
                    total = total
                        .saturating_add(key.len())
                        .saturating_add(weight(&value, MAX_VALUE_WEIGHT));
                    self.check_weight(total)?;
                    map.insert(key, value);
                }
                Ok(Value::Map(map))
            }
            Expression::StringTemplate(template) => self.template(template),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template),
            Expression::Parenthesis(inner) => self.eval(inner.inner()),
            Expression::Variable(ident) => Err(format!(
                "`{}` is only known at apply time",
                ident.value().as_str()
            )),
            Expression::Conditional(conditional) => match self.eval(&conditional.cond_expr)? {
                Value::Bool(true) => self.eval(&conditional.true_expr),
                Value::Bool(false) => self.eval(&conditional.false_expr),
                _ => Err(format!(
                    "the condition `{}` is not a boolean",
                    describe(&conditional.cond_expr)
                )),
            },
            Expression::BinaryOp(operation) => {
                let equal = match operation.operator.value() {
                    BinaryOperator::Eq => true,
                    BinaryOperator::NotEq => false,
                    _ => return Err(format!("`{}` is not evaluated", describe(expr))),
                };
                let lhs = self.eval(&operation.lhs_expr)?;
                let rhs = self.eval(&operation.rhs_expr)?;
                Ok(Value::Bool((lhs == rhs) == equal))
            }
            Expression::FuncCall(call) => self.function(call),
            Expression::Traversal(traversal) => {
                self.traversal(&traversal.expr, &traversal.operators)
            }
            Expression::UnaryOp(_) | Expression::ForExpr(_) => {
                Err(format!("`{}` is not evaluated", describe(expr)))
            }
        }
    }

    fn template(&mut self, template: &Template) -> Eval {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(literal) => text.push_str(literal.value()),
                Element::Interpolation(interpolation) => {
                    let value = self.eval(&interpolation.expr)?;
                    let part = value.as_text().ok_or_else(|| {
                        format!("`{}` is not a string", describe(&interpolation.expr))
                    })?;
                    self.check_weight(text.len().saturating_add(part.len()))?;
                    text.push_str(&part);
                }
                Element::Directive(_) => {
                    return Err("template directives (`%{...}`) are not evaluated".into());
                }
            }
        }
        Ok(Value::String(text))
    }

    fn function(&mut self, call: &hcl_edit::expr::FuncCall) -> Eval {
        let name = call.name.name.value().as_str();
        let args: Vec<&Expression> = call.args.iter().collect();
        match (name, args.as_slice()) {
            ("lookup", [map, key, rest @ ..]) if rest.len() <= 1 => {
                let map = self.eval(map)?;
                let key_value = self.eval(key)?;
                let key_text = key_value
                    .as_text()
                    .ok_or("the `lookup` key is not a string")?;
                match map {
                    Value::Map(entries) => match entries.get(&key_text) {
                        Some(value) => Ok(value.clone()),
                        None => match rest.first() {
                            Some(default) => self.eval(default),
                            None => Err(format!("the map has no key `{key_text}`")),
                        },
                    },
                    _ => Err("the first argument of `lookup` is not a map".into()),
                }
            }
            ("lower" | "upper" | "trimspace" | "tostring", [arg]) => {
                let text = self
                    .eval(arg)?
                    .as_text()
                    .ok_or_else(|| format!("the argument of `{name}` is not a string"))?;
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
                Err("every argument of `coalesce` is empty".into())
            }
            ("try", args) if !args.is_empty() => {
                let mut last = Err("`try` has no arguments".to_string());
                for arg in args {
                    last = self.eval(arg);
                    if last.is_ok() {
                        break;
                    }
                }
                last
            }
            ("element", [list, index]) => {
                let list = self.eval(list)?;
                let index = self
                    .eval(index)?
                    .as_text()
                    .and_then(|t| t.parse::<usize>().ok())
                    .ok_or("the `element` index is not a number")?;
                match list {
                    Value::List(items) if !items.is_empty() => {
                        Ok(items[index % items.len()].clone())
                    }
                    _ => Err("the first argument of `element` is not a non-empty list".into()),
                }
            }
            _ => Err(format!("the function `{name}` is not evaluated")),
        }
    }

    fn traversal(
        &mut self,
        base: &Expression,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Eval {
        let attr = |index: usize| -> Option<&str> {
            match operators.get(index).map(|op| op.value()) {
                Some(TraversalOperator::GetAttr(ident)) => Some(ident.value().as_str()),
                _ => None,
            }
        };
        let (value, consumed) = match base {
            Expression::Variable(root) => {
                let root = root.value().as_str();
                match root {
                    "var" => {
                        let name = attr(0).ok_or("`var` needs a variable name")?;
                        (self.variable(name)?, 1)
                    }
                    "local" => {
                        let name = attr(0).ok_or("`local` needs a name")?;
                        (self.local(name)?, 1)
                    }
                    "module" => {
                        return Err(format!(
                            "`module.{}` outputs are not evaluated",
                            attr(0).unwrap_or("?")
                        ));
                    }
                    "data" => {
                        return Err(format!(
                            "`data.{}.{}` is read at apply time",
                            attr(0).unwrap_or("?"),
                            attr(1).unwrap_or("?")
                        ));
                    }
                    "each" | "count" | "self" | "path" | "terraform" => {
                        return Err(format!("`{root}.*` is not evaluated"));
                    }
                    resource_type => {
                        let name =
                            attr(0).ok_or_else(|| format!("`{resource_type}` is not a value"))?;
                        let argument = attr(1).ok_or_else(|| {
                            format!("`{resource_type}.{name}` is a whole resource")
                        })?;
                        (self.resource_argument(resource_type, name, argument)?, 2)
                    }
                }
            }
            other => (self.eval(other)?, 0),
        };
        let mut value = value;
        for operator in operators.iter().skip(consumed) {
            value = match operator.value() {
                TraversalOperator::GetAttr(key) => index_value(value, key.value().as_str())?,
                TraversalOperator::Index(key) => {
                    let key = self
                        .eval(key)?
                        .as_text()
                        .ok_or("an index is not a string or number")?;
                    index_value(value, &key)?
                }
                TraversalOperator::LegacyIndex(index) => {
                    index_value(value, &index.value().to_string())?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return Err("splat expressions are not evaluated".into());
                }
            };
        }
        Ok(value)
    }

    fn variable(&mut self, name: &str) -> Eval {
        let instance = self.instance;
        if let Some(value) = instance.inputs.get(name) {
            return value.clone();
        }
        let Some(declared) = instance.module.variables.get(name) else {
            return Err(format!("`var.{name}` is not declared"));
        };
        // `default = null` declares the variable optional: its value is `null`, which an argument
        // treats as not set (the provider's region, say). Only a variable with no default at all
        // is required, and unknown when nothing sets it.
        match declared.node.body.get_attribute("default") {
            Some(default) => {
                self.remembered_with(&default.value, &mut |_| literal(&default.value, 0))
            }
            None => Err(match &instance.call {
                None => format!("`var.{name}` has no default and no tfvars value"),
                Some(call) => {
                    format!("`var.{name}` has no default and `module.{call}` does not set it")
                }
            }),
        }
    }

    fn local(&mut self, name: &str) -> Eval {
        let module: &Module<'_> = self.instance.module;
        match module.locals.get(name) {
            Some(local) => self.remembered(&local.node.value),
            None => Err(format!("`local.{name}` is not defined")),
        }
    }

    fn resource_argument(&mut self, resource_type: &str, name: &str, argument: &str) -> Eval {
        let module: &Module<'_> = self.instance.module;
        let Some(resource) = module.resource(resource_type, name) else {
            return Err(format!(
                "`{resource_type}.{name}` is not defined in this module"
            ));
        };
        match resource.block.body.get_attribute(argument) {
            Some(attribute) => self.remembered(&attribute.value),
            None => Err(format!(
                "`{resource_type}.{name}.{argument}` is only known after apply"
            )),
        }
    }
}

fn index_value(value: Value, key: &str) -> Eval {
    match value {
        Value::Map(mut entries) => entries
            .remove(key)
            .ok_or_else(|| format!("the map has no key `{key}`")),
        Value::List(items) => key
            .parse::<usize>()
            .ok()
            .and_then(|index| items.get(index).cloned())
            .ok_or_else(|| format!("the list has no element `{key}`")),
        _ => Err(format!(
            "`{key}` cannot be looked up in a value that is not a map or list"
        )),
    }
}
