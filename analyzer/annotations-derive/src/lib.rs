//! Proc macros behind `borderline-annotations`: inert attributes and the `PersonalData` derive.
//!
//! The attributes exist so that annotated code compiles; borderline itself reads them from the
//! source with a parser. They therefore accept any arguments and return the item unchanged.

use proc_macro::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;

/// `#[borderline::flow(to = "...", data = [...], purpose = "...")]`: a data flow, read by borderline.
#[proc_macro_attribute]
pub fn flow(_arguments: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// `#[borderline::store(id = "...", location = "...", data = [...])]`: a data store, read by borderline.
#[proc_macro_attribute]
pub fn store(_arguments: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// `#[borderline::pii("category")]` on an item; on fields, `#[pii(...)]` is the derive's helper.
#[proc_macro_attribute]
pub fn pii(_arguments: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// `#[borderline::personal_data(...)]`: the long name of `pii`.
#[proc_macro_attribute]
pub fn personal_data(_arguments: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// Implements `borderline::PersonalData` from the fields' `#[pii(...)]` / `#[personal_data(...)]`
/// attributes: `#[pii("user.contact.email")]`, `#[pii(category = "...")]`, or several categories.
#[proc_macro_derive(PersonalData, attributes(pii, personal_data))]
pub fn derive_personal_data(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match personal_data_impl(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn personal_data_impl(input: &syn::DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let syn::Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`PersonalData` can be derived for structs only",
        ));
    };
    let mut pairs = Vec::new();
    for (index, field) in data.fields.iter().enumerate() {
        let name = field
            .ident
            .as_ref()
            .map_or_else(|| index.to_string(), ToString::to_string);
        for attribute in &field.attrs {
            if !(attribute.path().is_ident("pii") || attribute.path().is_ident("personal_data")) {
                continue;
            }
            for category in categories(attribute)? {
                pairs.push(quote! { (#name, #category) });
            }
        }
    }
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::borderline::PersonalData for #ident #type_generics #where_clause {
            const PERSONAL_DATA_FIELDS: &'static [(&'static str, &'static str)] = &[#(#pairs),*];
        }
    })
}

/// One argument: `"category"` or `category = "..."` / `categories = [...]`.
enum Argument {
    Category(syn::LitStr),
    Pair(syn::Ident, Box<syn::Expr>),
}

impl syn::parse::Parse for Argument {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Argument> {
        if input.peek(syn::LitStr) {
            return Ok(Argument::Category(input.parse()?));
        }
        let key: syn::Ident = input.parse()?;
        input.parse::<syn::Token![=]>()?;
        Ok(Argument::Pair(key, Box::new(input.parse()?)))
    }
}

fn categories(attribute: &syn::Attribute) -> syn::Result<Vec<syn::LitStr>> {
    let arguments =
        attribute.parse_args_with(Punctuated::<Argument, syn::Token![,]>::parse_terminated)?;
    let mut found = Vec::new();
    for argument in arguments {
        match argument {
            Argument::Category(literal) => found.push(literal),
            Argument::Pair(key, value) if key == "category" || key == "categories" => {
                collect_strings(&value, &mut found)?
            }
            Argument::Pair(key, _) => {
                return Err(syn::Error::new_spanned(
                    key,
                    "unknown key; expected `category` or `categories`",
                ));
            }
        }
    }
    if found.is_empty() {
        return Err(syn::Error::new_spanned(
            attribute,
            "expected a data category, e.g. `#[pii(\"user.contact.email\")]`",
        ));
    }
    Ok(found)
}

fn collect_strings(value: &syn::Expr, found: &mut Vec<syn::LitStr>) -> syn::Result<()> {
    match value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => {
            found.push(literal.clone());
            Ok(())
        }
        syn::Expr::Array(array) => array
            .elems
            .iter()
            .try_for_each(|element| collect_strings(element, found)),
        other => Err(syn::Error::new_spanned(
            other,
            "expected a string or a list of strings",
        )),
    }
}
