//! Static evaluation of the small part of Terraform's expression language that places data:
//! literals, `var.*`, `local.*`, resource arguments, `"${...}"` templates, `lookup`, indexing and
//! conditionals. Anything else is unresolved with a reason, never guessed.

use super::module::{Instance, Module};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Element, Template};
use std::collections::BTreeMap;

/// How many references (variables, locals, resource arguments) one evaluation may follow. Real
/// configurations need a handful; cycles and hostile inputs stop here.
const MAX_DEPTH: usize = 32;

/// A statically known value.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    Evaluator { instance, depth: 0 }.eval(expr)
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

struct Evaluator<'i, 'a> {
    instance: &'i Instance<'a>,
    depth: usize,
}

impl Evaluator<'_, '_> {
    fn eval(&mut self, expr: &Expression) -> Eval {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            Err("references nest too deeply (a cycle?)".into())
        } else {
            self.eval_inner(expr)
        };
        self.depth -= 1;
        result
    }

    fn eval_inner(&mut self, expr: &Expression) -> Eval {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => literal(expr, 0),
            Expression::Array(array) => array
                .iter()
                .map(|item| self.eval(item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = object_key(key, &mut |e| self.eval(e))?;
                    map.insert(key, self.eval(value.expr())?);
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
        match declared.node.body.get_attribute("default") {
            Some(default) if !default.value.is_null() => literal(&default.value, 0),
            _ => Err(match &instance.call {
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
            Some(local) => self.eval(&local.node.value),
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
            Some(attribute) => self.eval(&attribute.value),
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
