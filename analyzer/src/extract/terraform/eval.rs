//! Static evaluation of the part of Terraform's expression language that places data: literals
//! (`null` included: an argument that is `null` is not set), `var.*` (a variable whose default is
//! `null` is `null`; one with no default that nothing sets is unknown), `local.*`, resource
//! arguments, `"${...}"` templates, indexing and splats, conditionals, every comparison,
//! arithmetic and logic operator, `for` expressions over known lists and maps, and the built-in
//! functions public modules apply to regions and names (see `functions.rs`). Anything else is
//! unresolved with a reason, never guessed: template directives, grouping `for` expressions,
//! provider functions and the functions not listed there.
//!
//! The files come from a pull request, so evaluation is bounded whatever they say: each local,
//! resource argument, module input and variable default is evaluated once per module instance and
//! remembered (a chain of locals that doubles at each step costs its length, not two to the
//! length); a reference back to a value still being evaluated is a cycle; a value may not grow
//! past [`MAX_VALUE_WEIGHT`]; and a module instance and a whole module tree have a budget of
//! evaluation steps. What exceeds a bound is unknown, with an `input-error` at the line of the
//! local or argument that exceeded it.

mod functions;

use super::module::{Instance, Module};
use crate::source::Span;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

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
    /// How many `module.x.out` reads are under way. Terraform orders values one by one (each
    /// output, each input of a call), so `local.a` may feed one input of `module.x` and read
    /// another of its outputs; reading an output here evaluates the call's inputs as a whole,
    /// and a cycle met meanwhile may be this reader's, not the configuration's.
    module_outputs: Cell<usize>,
}

/// A value being evaluated, or its result.
#[derive(Debug)]
enum Slot {
    /// Being evaluated: reaching it again is a cycle.
    Busy,
    /// The result, and whether a failure is definite (see [`Scope::failure`]), so that a reused
    /// failure is the same kind of failure as the first.
    Done(Eval, bool),
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
    Evaluator::new(instance, None).remembered(expr)
}

/// What the repetition of a block binds: `each.key`/`each.value` (`for_each`), `count.index`, and
/// the iterators of `dynamic` blocks (`replica.value`, or the name `iterator = x` gives). A name
/// whose collection cannot be evaluated is bound to the reason, so that what reads it is unknown
/// with that reason rather than with a puzzling "not evaluated".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bindings {
    /// `each`: the instance's key and value.
    pub each: Option<(Value, Value)>,
    /// `count.index`.
    pub count: Option<Value>,
    /// Dynamic-block iterators by name: key and value.
    pub iterators: BTreeMap<String, (Value, Value)>,
    /// `each`, `count` or an iterator name whose collection is unknown, with why.
    pub unknown: BTreeMap<String, String>,
}

impl Bindings {
    /// Whether nothing is bound, so that evaluation may be remembered by expression alone.
    pub(crate) fn is_empty(&self) -> bool {
        self.each.is_none()
            && self.count.is_none()
            && self.iterators.is_empty()
            && self.unknown.is_empty()
    }
}

/// Evaluates an expression of a repeated block (a resource with `count` or `for_each`, a module
/// call's inputs, the content of a `dynamic` block) with what its repetition binds. The expression
/// itself is not remembered, as its value differs from one repetition to the next; the locals,
/// variables and resource arguments it reads are, because Terraform lets none of them read `each`,
/// `count` or an iterator of the block that reads them.
pub(crate) fn eval_with(expr: &Expression, instance: &Instance<'_>, bindings: &Bindings) -> Eval {
    if bindings.is_empty() {
        return eval(expr, instance);
    }
    Evaluator::new(instance, Some(bindings)).eval(expr)
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

/// `value` with the defaults of the `optional(type, default)` attributes of type constraint
/// `constraint` filled in where it leaves them out or sets them to `null`, in objects and in the
/// elements of lists, sets and maps of objects. What the defaults add is charged to `budget` (a
/// type applied to many elements must not multiply a value without bound); past it, or past
/// [`MAX_DEPTH`], the value is left as it is.
fn with_type_defaults(
    constraint: &Expression,
    value: Value,
    depth: usize,
    budget: &mut usize,
) -> Value {
    let Expression::FuncCall(call) = constraint else {
        return value;
    };
    if depth > MAX_DEPTH || *budget == 0 {
        return value;
    }
    let name = call.name.name.value().as_str();
    let args: Vec<&Expression> = call.args.iter().collect();
    match (name, args.as_slice(), value) {
        ("object", [Expression::Object(attributes)], Value::Map(mut fields)) => {
            for (key, attribute) in attributes.iter() {
                let Ok(key) = object_key(key, &mut |e| literal(e, 0)) else {
                    continue;
                };
                let (inner, default) = match attribute.expr() {
                    Expression::FuncCall(optional)
                        if optional.name.name.value().as_str() == "optional" =>
                    {
                        let mut parts = optional.args.iter();
                        (parts.next(), parts.next())
                    }
                    other => (Some(other), None),
                };
                let current = fields.remove(&key).filter(|v| *v != Value::Null);
                let filled = match (current, default) {
                    (Some(value), _) => Some(value),
                    (None, Some(default)) => match literal(default, 0) {
                        Ok(default) => {
                            let cost = weight(&default, MAX_VALUE_WEIGHT);
                            if cost > *budget {
                                *budget = 0;
                                None
                            } else {
                                *budget -= cost;
                                Some(default)
                            }
                        }
                        Err(_) => None,
                    },
                    // Terraform converts the object to its type: an optional attribute the
                    // caller leaves out is `null`, not missing, so `var.x.attr == null` holds.
                    (None, None) => Some(Value::Null),
                };
                if let Some(filled) = filled {
                    let filled = match inner {
                        Some(inner) => with_type_defaults(inner, filled, depth + 1, budget),
                        None => filled,
                    };
                    fields.insert(key, filled);
                }
            }
            Value::Map(fields)
        }
        ("list" | "set", [element], Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|item| with_type_defaults(element, item, depth + 1, budget))
                .collect(),
        ),
        ("map", [element], Value::Map(entries)) => Value::Map(
            entries
                .into_iter()
                .map(|(key, item)| (key, with_type_defaults(element, item, depth + 1, budget)))
                .collect(),
        ),
        (_, _, value) => value,
    }
}

/// The address that names an expression in a [`Memo`] and in the module's owners.
pub(crate) fn key_of(expr: &Expression) -> usize {
    std::ptr::from_ref(expr).addr()
}

struct Evaluator<'i, 'a> {
    instance: &'i Instance<'a>,
    /// What the repeated block being evaluated binds; `None` inside remembered values.
    bindings: Option<&'i Bindings>,
    depth: usize,
    /// The locals and arguments being evaluated, innermost last (keys of the module's owners):
    /// where a bound is exceeded, the innermost is reported.
    owners: Vec<usize>,
    /// Whether the current evaluation was cut by [`MAX_DEPTH`]: such a result depends on how deep
    /// the evaluation started, so it is not remembered.
    cut: bool,
    /// The names `for` expressions bind, and the last definite failure.
    scope: Scope,
}

/// What an evaluation knows besides the module: the variables of the `for` expressions it is
/// inside, and which failure is definite.
#[derive(Debug, Default)]
struct Scope {
    /// `for` variables, innermost last (a name bound again shadows the outer one).
    bound: Vec<(String, Value)>,
    /// The reason of the last failure that Terraform would also meet with these known values (a
    /// missing key, a wrong type), as opposed to a value not known before apply: `try` and `can`
    /// move past the first kind only.
    failure: Option<String>,
}

impl<'i, 'a> Evaluator<'i, 'a> {
    fn new(instance: &'i Instance<'a>, bindings: Option<&'i Bindings>) -> Self {
        Evaluator {
            instance,
            bindings,
            depth: 0,
            owners: Vec::new(),
            cut: false,
            scope: Scope::default(),
        }
    }

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
            Some(Slot::Done(result, definite)) => Some(Some((result.clone(), *definite))),
        };
        match known {
            Some(Some((result, definite))) => {
                self.step(false)?;
                if let (Err(reason), true) = (&result, definite) {
                    self.scope.failure = Some(reason.clone());
                }
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
        // A remembered value is the same in every repetition of the block that reads it (see
        // `eval_with`), so it is evaluated with nothing bound and never keeps one repetition's value;
        // and it is written outside the `for` expressions that refer to it, so it sees none of
        // their variables.
        let bindings = self.bindings.take();
        let outer_bound = std::mem::take(&mut self.scope.bound);
        let result = evaluate(self);
        self.bindings = bindings;
        self.scope.bound = outer_bound;
        let definite = match &result {
            Err(reason) => self.scope.failure.as_deref() == Some(reason.as_str()),
            Ok(_) => false,
        };
        if owned {
            self.owners.pop();
        }
        if self.cut {
            memo.values.borrow_mut().remove(&key);
        } else {
            memo.values
                .borrow_mut()
                .insert(key, Slot::Done(result.clone(), definite));
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

    /// `key` was reached again while being evaluated. Reported as malformed only when no module
    /// output is being read (see [`Budget::module_outputs`]); either way the value is unknown,
    /// with the reason.
    fn cycle(&self, key: usize) -> String {
        let (span, name) = self.owner(Some(key));
        if self.instance.budget.module_outputs.get() == 0 {
            self.report(
                span,
                format!("terraform: {name} refers to itself through a cycle of references; it is treated as unknown"),
            );
        }
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
            Expression::Variable(ident) => match self.for_bound(ident.value().as_str()) {
                Some(value) => Ok(value),
                None => Err(format!(
                    "`{}` is only known at apply time",
                    ident.value().as_str()
                )),
            },
            Expression::Conditional(conditional) => match self.eval(&conditional.cond_expr)? {
                Value::Bool(true) => self.eval(&conditional.true_expr),
                Value::Bool(false) => self.eval(&conditional.false_expr),
                _ => Err(format!(
                    "the condition `{}` is not a boolean",
                    describe(&conditional.cond_expr)
                )),
            },
            Expression::BinaryOp(operation) => {
                let lhs = self.eval(&operation.lhs_expr)?;
                let rhs = self.eval(&operation.rhs_expr)?;
                self.binary(*operation.operator.value(), &lhs, &rhs)
            }
            Expression::FuncCall(call) => self.function(call),
            Expression::Traversal(traversal) => {
                self.traversal(&traversal.expr, &traversal.operators)
            }
            Expression::UnaryOp(operation) => {
                let value = self.eval(&operation.expr)?;
                match (operation.operator.value(), value) {
                    (UnaryOperator::Not, Value::Bool(flag)) => Ok(Value::Bool(!flag)),
                    (UnaryOperator::Neg, value) => match number(&value) {
                        Some(number) => Ok(functions::number_value(-number)),
                        None => {
                            Err(self
                                .failed(format!("`{}` is not a number", describe(&operation.expr))))
                        }
                    },
                    (UnaryOperator::Not, _) => {
                        Err(self
                            .failed(format!("`{}` is not a boolean", describe(&operation.expr))))
                    }
                }
            }
            Expression::ForExpr(for_expr) => self.for_expr(for_expr),
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
                    // A `for` variable shadows every other name.
                    bound if self.for_bound(bound).is_some() => {
                        (self.for_bound(bound).unwrap_or(Value::Null), 0)
                    }
                    "var" => {
                        let name = attr(0).ok_or("`var` needs a variable name")?;
                        (self.variable(name)?, 1)
                    }
                    "local" => {
                        let name = attr(0).ok_or("`local` needs a name")?;
                        (self.local(name)?, 1)
                    }
                    "module" => {
                        let name = attr(0).ok_or("`module` needs a call name")?;
                        // `module.x.out`, or `module.x["key"].out` for a call with instances.
                        let (at, index) = match operators.get(1).map(|op| op.value()) {
                            Some(TraversalOperator::Index(key)) => (2, Some(key)),
                            _ => (1, None),
                        };
                        let output =
                            attr(at).ok_or_else(|| format!("`module.{name}` is a whole module"))?;
                        (self.module_output(name, index, output)?, at + 1)
                    }
                    "data" => {
                        return Err(format!(
                            "`data.{}.{}` is read at apply time",
                            attr(0).unwrap_or("?"),
                            attr(1).unwrap_or("?")
                        ));
                    }
                    "each" => {
                        let part = attr(0).ok_or("`each` needs `key` or `value`")?;
                        let bound =
                            self.bound("each", self.bindings.and_then(|b| b.each.as_ref()))?;
                        (pick(bound, "each", part)?, 1)
                    }
                    "count" => {
                        let part = attr(0).ok_or("`count` needs `index`")?;
                        if part != "index" {
                            return Err(format!("`count.{part}` is not a value"));
                        }
                        let index = self.bindings.and_then(|b| b.count.as_ref());
                        match index {
                            Some(index) => (index.clone(), 1),
                            None => return Err(self.unbound("count")),
                        }
                    }
                    "self" | "path" | "terraform" => {
                        return Err(format!("`{root}.*` is not evaluated"));
                    }
                    iterator
                        if self.bindings.is_some_and(|b| {
                            b.iterators.contains_key(iterator) || b.unknown.contains_key(iterator)
                        }) =>
                    {
                        let part = attr(0)
                            .ok_or_else(|| format!("`{iterator}` needs `key` or `value`"))?;
                        let bound = self.bound(
                            iterator,
                            self.bindings.and_then(|b| b.iterators.get(iterator)),
                        )?;
                        (pick(bound, iterator, part)?, 1)
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
        let rest: Vec<&TraversalOperator> =
            operators.iter().skip(consumed).map(|o| o.value()).collect();
        self.apply(value, &rest, 0)
    }

    /// Applies attribute lookups, indices and splats to a known value. A splat applies what
    /// follows it to each element (`[*]` all of it, `.*` the attribute lookups only); splats nest
    /// at most [`MAX_DEPTH`] deep, and each element is a step.
    fn apply(&mut self, value: Value, operators: &[&TraversalOperator], splats: usize) -> Eval {
        let mut value = value;
        let mut position = 0;
        while let Some(operator) = operators.get(position) {
            position += 1;
            value = match operator {
                TraversalOperator::GetAttr(key) => {
                    index_value(value, key.value().as_str()).map_err(|r| self.failed(r))?
                }
                TraversalOperator::Index(key) => {
                    let key = self
                        .eval(key)?
                        .as_text()
                        .ok_or_else(|| self.failed("an index is not a string or number".into()))?;
                    index_value(value, &key).map_err(|r| self.failed(r))?
                }
                TraversalOperator::LegacyIndex(index) => {
                    index_value(value, &index.value().to_string()).map_err(|r| self.failed(r))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    if splats >= MAX_DEPTH {
                        return Err("splat expressions nest too deeply".into());
                    }
                    let end = match operator {
                        TraversalOperator::AttrSplat(_) => {
                            position
                                + operators
                                    .get(position..)
                                    .unwrap_or_default()
                                    .iter()
                                    .take_while(|o| matches!(o, TraversalOperator::GetAttr(_)))
                                    .count()
                        }
                        _ => operators.len(),
                    };
                    let each = operators.get(position..end).unwrap_or_default();
                    // Terraform's splat on a single value makes a list of it; on null, none.
                    let items = match value {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let mut results = Vec::new();
                    let mut total = ELEMENT_WEIGHT;
                    for item in items {
                        self.step(true)?;
                        let result = self.apply(item, each, splats + 1)?;
                        total = total.saturating_add(weight(&result, MAX_VALUE_WEIGHT));
                        self.check_weight(total)?;
                        results.push(result);
                    }
                    position = end;
                    Value::List(results)
                }
            };
        }
        Ok(value)
    }

    /// The value of output `output` of the local module that call `name` instantiates: the
    /// `output` block evaluated in that instance, with the call's inputs.
    fn module_output(&mut self, name: &str, index: Option<&Expression>, output: &str) -> Eval {
        let instance = self.instance;
        let call = instance
            .module
            .calls
            .iter()
            .find(|call| call.node.labels.first().map(|l| l.as_str()) == Some(name))
            .ok_or_else(|| format!("`module.{name}` is not called in this module"))?;
        let source = super::call_source(call.node)
            .ok_or_else(|| format!("`module.{name}` has no literal `source`"))?;
        let opaque = || {
            format!(
                "`module.{name}.{output}` comes from a module borderline does not read (`{source}`)"
            )
        };
        let target =
            super::module::local_source(&instance.module.dir, &source).ok_or_else(opaque)?;
        let module = instance
            .modules
            .and_then(|modules| modules.get(&target))
            .ok_or_else(opaque)?;
        if instance.depth >= super::MAX_MODULE_DEPTH {
            return Err(format!(
                "`module.{name}.{output}`: modules call each other in a cycle or nest too deeply"
            ));
        }
        let value = module
            .outputs
            .get(output)
            .ok_or_else(|| format!("`module.{name}` has no output `{output}`"))?;
        let instances =
            match super::instances::repetition(call.node, instance, super::instances::MAX_REPEAT) {
                super::instances::Repeat::Once => vec![(String::new(), Bindings::default())],
                super::instances::Repeat::Each(list) => list,
                super::instances::Repeat::Unknown(_, reason) => {
                    return Err(format!("`module.{name}`: {reason}"));
                }
            };
        let (suffix, bindings) = match (index, instances.as_slice()) {
            (None, [(suffix, bindings)]) if suffix.is_empty() => (suffix.clone(), bindings),
            (None, _) => {
                return Err(format!(
                    "`module.{name}` has instances: `module.{name}.{output}` is not one value"
                ));
            }
            (Some(key), list) => {
                let key = self
                    .eval(key)?
                    .as_text()
                    .ok_or("an index is not a string or number")?;
                list.iter()
                    .find(|(suffix, _)| {
                        *suffix == format!("[{key}]") || *suffix == format!("[\"{key}\"]")
                    })
                    .map(|(suffix, bindings)| (suffix.clone(), bindings))
                    .ok_or_else(|| format!("`module.{name}` has no instance `{key}`"))?
            }
        };
        let outputs = &instance.budget.module_outputs;
        outputs.set(outputs.get().saturating_add(1));
        let value = output_of(
            instance,
            name,
            (&suffix, bindings),
            call.node,
            (module, &value.node.value),
        );
        outputs.set(outputs.get().saturating_sub(1));
        value
    }

    /// The key and value bound to `name`, or why there is none.
    fn bound<'b>(
        &self,
        name: &str,
        bound: Option<&'b (Value, Value)>,
    ) -> Result<&'b (Value, Value), String> {
        bound.ok_or_else(|| self.unbound(name))
    }

    /// Why `name` (`each`, `count`, an iterator) has no value here.
    fn unbound(&self, name: &str) -> String {
        match self.bindings.and_then(|b| b.unknown.get(name)) {
            // The reason names the collection that could not be evaluated.
            Some(reason) => reason.clone(),
            None => match name {
                "each" => "`each` is only known in a block with `for_each`".into(),
                "count" => "`count.index` is only known in a block with `count`".into(),
                other => format!("`{other}` is only known inside its `dynamic` block"),
            },
        }
    }

    /// Records a failure Terraform would also meet with these known values, and returns its
    /// reason (see [`Scope::failure`]).
    fn failed(&mut self, reason: String) -> String {
        self.scope.failure = Some(reason.clone());
        reason
    }

    /// The value a `for` expression binds to `name`, innermost first.
    fn for_bound(&self, name: &str) -> Option<Value> {
        self.scope
            .bound
            .iter()
            .rev()
            .find(|(bound, _)| bound == name)
            .map(|(_, value)| value.clone())
    }

    /// Comparison, arithmetic and logic on known values.
    fn binary(&mut self, operator: BinaryOperator, lhs: &Value, rhs: &Value) -> Eval {
        use BinaryOperator as Op;
        match operator {
            Op::Eq => Ok(Value::Bool(same(lhs, rhs))),
            Op::NotEq => Ok(Value::Bool(!same(lhs, rhs))),
            Op::And | Op::Or => match (lhs, rhs) {
                (Value::Bool(a), Value::Bool(b)) => Ok(Value::Bool(if operator == Op::And {
                    *a && *b
                } else {
                    *a || *b
                })),
                _ => Err(self.failed(format!(
                    "`{operator}` is given a value that is not a boolean"
                ))),
            },
            _ => {
                let (Some(a), Some(b)) = (number(lhs), number(rhs)) else {
                    return Err(self.failed(format!(
                        "`{operator}` is given a value that is not a number"
                    )));
                };
                let result = match operator {
                    Op::Less => return Ok(Value::Bool(a < b)),
                    Op::LessEq => return Ok(Value::Bool(a <= b)),
                    Op::Greater => return Ok(Value::Bool(a > b)),
                    Op::GreaterEq => return Ok(Value::Bool(a >= b)),
                    Op::Plus => a + b,
                    Op::Minus => a - b,
                    Op::Mul => a * b,
                    Op::Div if b != 0.0 => a / b,
                    Op::Mod if b != 0.0 => a % b,
                    _ => return Err(self.failed("division by zero".into())),
                };
                if result.is_finite() {
                    Ok(functions::number_value(result))
                } else {
                    Err(self.failed(format!("`{operator}` gives a number out of range")))
                }
            }
        }
    }

    /// `[for k, v in collection : value if cond]` and `{for k, v in collection : key => value}`
    /// over a known list or map. Every element bound is charged, every body evaluated is a step,
    /// and the result is weighed as it grows, so nested loops over large values stop at the
    /// budgets.
    fn for_expr(&mut self, for_expr: &ForExpr) -> Eval {
        let intro = &for_expr.intro;
        let collection = self.eval(&intro.collection_expr)?;
        let pairs: Vec<(Value, Value)> = match collection {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| (functions::number_value(index as f64), item))
                .collect(),
            Value::Map(entries) => entries
                .into_iter()
                .map(|(key, item)| (Value::String(key), item))
                .collect(),
            _ => {
                return Err(self.failed(format!(
                    "`{}` is not a list or map to iterate over",
                    describe(&intro.collection_expr)
                )));
            }
        };
        if for_expr.grouping {
            return Err("`for` expressions that group values (`...`) are not evaluated".into());
        }
        let value_name = intro.value_var.value().as_str().to_string();
        let key_name = intro
            .key_var
            .as_ref()
            .map(|k| k.value().as_str().to_string());
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        let mut total = ELEMENT_WEIGHT;
        for (key, item) in pairs {
            self.charge(&item)?;
            let depth = self.scope.bound.len();
            if let Some(key_name) = &key_name {
                self.scope.bound.push((key_name.clone(), key));
            }
            self.scope.bound.push((value_name.clone(), item));
            let result = self.for_item(for_expr);
            self.scope.bound.truncate(depth);
            let Some((key, value)) = result? else {
                continue;
            };
            total = total
                .saturating_add(key.as_ref().map_or(0, String::len))
                .saturating_add(weight(&value, MAX_VALUE_WEIGHT));
            self.check_weight(total)?;
            match key {
                Some(key) => {
                    if map.insert(key.clone(), value).is_some() {
                        return Err(self
                            .failed(format!("the `for` expression makes the key `{key}` twice")));
                    }
                }
                None => list.push(value),
            }
        }
        Ok(if for_expr.key_expr.is_some() {
            Value::Map(map)
        } else {
            Value::List(list)
        })
    }

    /// One element of a `for` expression, with its variables bound: `None` when its condition
    /// leaves it out, else its key (for an object) and value.
    fn for_item(&mut self, for_expr: &ForExpr) -> Result<Option<(Option<String>, Value)>, String> {
        if let Some(cond) = &for_expr.cond {
            match self.eval(&cond.expr)? {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(None),
                _ => {
                    return Err(self.failed(format!(
                        "the condition `{}` is not a boolean",
                        describe(&cond.expr)
                    )));
                }
            }
        }
        let key = match &for_expr.key_expr {
            Some(key_expr) => Some(self.eval(key_expr)?.as_text().ok_or_else(|| {
                self.failed(format!("the key `{}` is not a string", describe(key_expr)))
            })?),
            None => None,
        };
        let value = self.eval(&for_expr.value_expr)?;
        Ok(Some((key, value)))
    }

    fn variable(&mut self, name: &str) -> Eval {
        // Attributes a type constraint declares `optional(type, default)` take their default when
        // the value leaves them out, as Terraform does (Azure Verified Modules keep their resource
        // types there: `type = var.resource_types.storage_account`). The typed value is the same
        // wherever the variable is read in this instance, so it is remembered by its type
        // constraint: the defaults are filled in once, not at every reference.
        let constraint = self
            .instance
            .module
            .variables
            .get(name)
            .and_then(|declared| declared.node.body.get_attribute("type"));
        match constraint {
            Some(constraint) => self.remembered_with(&constraint.value, &mut |this| {
                let mut budget = MAX_VALUE_WEIGHT;
                this.untyped_variable(name)
                    .map(|value| with_type_defaults(&constraint.value, value, 0, &mut budget))
            }),
            None => self.untyped_variable(name),
        }
    }

    /// The value of `var.name` as given or defaulted, before its type's optional defaults.
    fn untyped_variable(&mut self, name: &str) -> Eval {
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

/// Evaluates `value`, an output of `module`, in the instance that call `name` makes of it.
fn output_of<'a>(
    instance: &Instance<'a>,
    name: &str,
    (suffix, bindings): (&str, &Bindings),
    call: &hcl_edit::structure::Block,
    (module, value): (&'a Module<'a>, &Expression),
) -> Eval {
    let mut child = Instance::child_for_output(instance, name, (suffix, bindings), call, module);
    child.memo = Rc::clone(
        instance
            .children
            .borrow_mut()
            .entry(format!("{name}{suffix}"))
            .or_default(),
    );
    eval(value, &child)
}

/// `key` or `value` of a binding.
fn pick(bound: &(Value, Value), name: &str, part: &str) -> Eval {
    match part {
        "key" => Ok(bound.0.clone()),
        "value" => Ok(bound.1.clone()),
        other => Err(format!(
            "`{name}.{other}` is not a value (`key` or `value`)"
        )),
    }
}

/// A value as a number: numbers, and strings that hold one (Terraform converts them).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(text) | Value::String(text) => {
            text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
        }
        _ => None,
    }
}

/// Terraform's `==`: values of the same type and value; numbers compare by value (`1` and `1.0`).
fn same(lhs: &Value, rhs: &Value) -> bool {
    match (lhs, rhs) {
        (Value::Number(a), Value::Number(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        _ => lhs == rhs,
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
