//! Unit tests of the files Terraform and OpenTofu load: JSON syntax with spans into the JSON,
//! JSON variable files and their precedence, override files, and `.tofu` precedence.

use super::tests::scan;
use crate::facts::Facts;
use crate::source::{SourceFile, Span};

fn at(sources: &[SourceFile], span: Option<Span>) -> (String, u32) {
    let Some(span) = span else {
        return ("<none>".into(), 0);
    };
    let file = &sources[span.file.0 as usize];
    assert!(
        span.end as usize <= file.text.len(),
        "span past the end of {}",
        file.path
    );
    (file.path.to_string(), file.line_column(span.start).line)
}

/// (id, location, file and line of the node) for every node.
fn nodes(sources: &[SourceFile], facts: &Facts) -> Vec<(String, String, (String, u32))> {
    facts
        .nodes
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                n.location
                    .as_ref()
                    .map_or("none".to_string(), |l| l.location.to_string()),
                at(sources, n.span),
            )
        })
        .collect()
}

fn errors(sources: &[SourceFile], facts: &Facts) -> Vec<(String, u32, String)> {
    facts
        .diagnostics
        .iter()
        .map(|d| {
            let (file, line) = at(sources, d.span);
            (file, line, d.message.clone())
        })
        .collect()
}

const CDKTF: &str = r#"{
  "//": {
    "metadata": {"stackName": "storage"}
  },
  "provider": {
    "aws": [
      {
        "region": "${var.region}"
      }
    ]
  },
  "variable": {
    "region": {
      "type": "string",
      "default": "ap-southeast-1"
    }
  },
  "resource": {
    "aws_s3_bucket": {
      "logs": {
        "bucket": "acme-logs",
        "tags": {"team": "data"}
      },
      "eu": {
        "bucket": "acme-eu",
        "region": "eu-west-1"
      }
    }
  }
}
"#;

#[test]
fn json_resources_are_read_at_the_line_of_their_key() {
    let (sources, facts) = scan(&[("stack/cdk.tf.json", CDKTF)]);
    assert_eq!(errors(&sources, &facts), vec![]);
    assert_eq!(
        nodes(&sources, &facts),
        vec![
            (
                "aws_s3_bucket.eu".to_string(),
                "aws:eu-west-1".to_string(),
                ("stack/cdk.tf.json".to_string(), 24)
            ),
            (
                "aws_s3_bucket.logs".to_string(),
                "aws:ap-southeast-1".to_string(),
                ("stack/cdk.tf.json".to_string(), 20)
            ),
        ]
    );
    // The region argument of `eu` is where its location is decided.
    let eu = facts
        .nodes
        .iter()
        .find(|n| n.id == "aws_s3_bucket.eu")
        .unwrap();
    assert_eq!(
        at(&sources, eu.location.as_ref().and_then(|l| l.span)),
        ("stack/cdk.tf.json".to_string(), 26)
    );
}

#[test]
fn minified_json_is_read_on_its_one_line() {
    let text = r#"{"provider":{"aws":{"region":"ap-southeast-1"}},"resource":{"aws_s3_bucket":{"a":{"bucket":"x","versioning":{"enabled":true}}},"aws_dynamodb_table":{"t":{"name":"t","replica":[{"region_name":"eu-west-1"}]}}}}"#;
    let (sources, facts) = scan(&[("gen/main.tf.json", text)]);
    assert_eq!(errors(&sources, &facts), vec![]);
    let found = nodes(&sources, &facts);
    assert!(
        found.contains(&(
            "aws_s3_bucket.a".to_string(),
            "aws:ap-southeast-1".to_string(),
            ("gen/main.tf.json".to_string(), 1)
        )),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(id, location, _)| id == "aws_dynamodb_table.t"
                && location == "aws:ap-southeast-1")
    );
}

#[test]
fn json_strings_are_templates_and_modules_take_inputs() {
    let main = r#"{
  "locals": {"home": "eu-${var.side}-1", "quoted": "${lookup({\"a\" = \"b\"}, \"a\", \"c\")}"},
  "variable": {"side": {"default": "central"}},
  "module": {
    "store": {"source": "./store", "region": "${local.home}"}
  }
}"#;
    let store =
        "variable \"region\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  region = var.region\n}\n";
    let (sources, facts) = scan(&[("root/main.tf.json", main), ("root/store/main.tf", store)]);
    assert_eq!(errors(&sources, &facts), vec![]);
    assert_eq!(
        nodes(&sources, &facts),
        vec![(
            "module.store.aws_s3_bucket.b".to_string(),
            "aws:eu-central-1".to_string(),
            ("root/store/main.tf".to_string(), 2)
        )]
    );
}

#[test]
fn malformed_json_is_an_input_error_at_its_line() {
    let text = "{\n  \"resource\": {\n    \"aws_s3_bucket\": {\n      \"a\": {\"bucket\": \"x\",}\n    }\n  }\n}\n";
    let (sources, facts) = scan(&[
        ("bad/main.tf.json", text),
        (
            "bad/ok.tf",
            "resource \"aws_s3_bucket\" \"ok\" {\n  region = \"eu-west-1\"\n}\n",
        ),
    ]);
    let found = errors(&sources, &facts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("bad/main.tf.json", 4));
    assert_eq!(facts.nodes.len(), 1);
    // Not an object, deeply nested: errors, never a panic.
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (sources, facts) = scan(&[("x/a.tf.json", "[1, 2]"), ("y/b.tf.json", &deep)]);
    assert_eq!(errors(&sources, &facts).len(), 2);
}

#[test]
fn json_tfvars_follow_terraform_precedence() {
    let main = "variable \"region\" {}\nprovider \"aws\" {\n  region = var.region\n}\nresource \"aws_s3_bucket\" \"b\" {}\n";
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[
                ("terraform.tfvars", "region = \"eu-west-1\"\n"),
                ("terraform.tfvars.json", "{\"region\": \"ap-southeast-1\"}"),
            ],
            "aws:ap-southeast-1",
        ),
        (
            &[
                ("terraform.tfvars.json", "{\"region\": \"ap-southeast-1\"}"),
                ("a.auto.tfvars.json", "{\"region\": \"eu-west-1\"}"),
            ],
            "aws:eu-west-1",
        ),
        (
            &[
                ("b.auto.tfvars", "region = \"eu-west-1\"\n"),
                ("a.auto.tfvars.json", "{\"region\": \"ap-southeast-1\"}"),
            ],
            "aws:eu-west-1",
        ),
    ];
    for (vars, expected) in cases {
        let mut files = vec![("env/main.tf".to_string(), main.to_string())];
        files.extend(
            vars.iter()
                .map(|(n, t)| (format!("env/{n}"), t.to_string())),
        );
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (sources, facts) = scan(&refs);
        assert_eq!(errors(&sources, &facts), vec![]);
        assert_eq!(nodes(&sources, &facts)[0].1, expected, "{vars:?}");
    }
}

#[test]
fn override_files_merge_into_blocks_and_declare_nothing() {
    let main = "provider \"aws\" {\n  region = \"eu-west-1\"\n}\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n";
    let (sources, facts) = scan(&[
        ("app/main.tf", main),
        (
            "app/override.tf",
            "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n",
        ),
        (
            "app/tags_override.tf",
            "resource \"aws_s3_bucket\" \"logs\" {\n  tags = { a = \"b\" }\n}\n",
        ),
    ]);
    assert_eq!(errors(&sources, &facts), vec![]);
    assert_eq!(
        nodes(&sources, &facts),
        vec![(
            "aws_s3_bucket.logs".to_string(),
            "aws:ap-southeast-1".to_string(),
            ("app/main.tf".to_string(), 4)
        )]
    );
    // A resource argument from an override has no range in the resource's file: the location
    // is reported at the resource.
    let (sources, facts) = scan(&[
        ("app/main.tf", main),
        (
            "app/z_override.tf.json",
            "{\"resource\": {\"aws_s3_bucket\": {\"logs\": {\"region\": \"sa-east-1\"}}}}",
        ),
    ]);
    let logs = &facts.nodes[0];
    assert_eq!(
        logs.location.as_ref().unwrap().location.to_string(),
        "aws:sa-east-1"
    );
    assert_eq!(
        at(&sources, logs.location.as_ref().unwrap().span),
        ("<none>".into(), 0)
    );
    // Overriding what does not exist is refused, as Terraform refuses it.
    let (sources, facts) = scan(&[
        ("app/main.tf", main),
        (
            "app/override.tf",
            "\nresource \"aws_s3_bucket\" \"other\" {\n  bucket = \"x\"\n}\n",
        ),
    ]);
    assert_eq!(facts.nodes.len(), 1);
    let found = errors(&sources, &facts);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0.as_str(), found[0].1), ("app/override.tf", 2));
}

#[test]
fn tofu_files_replace_tf_files_of_the_same_name() {
    let (sources, facts) = scan(&[
        (
            "m/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  region = \"eu-west-1\"\n}\n",
        ),
        (
            "m/main.tofu",
            "resource \"aws_s3_bucket\" \"b\" {\n  region = \"ap-south-1\"\n}\n",
        ),
        (
            "m/extra.tf",
            "resource \"aws_s3_bucket\" \"c\" {\n  region = \"eu-west-1\"\n}\n",
        ),
    ]);
    assert_eq!(errors(&sources, &facts), vec![]);
    let found = nodes(&sources, &facts);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].1, "aws:ap-south-1");
    assert_eq!(found[0].2.0, "m/main.tofu");
}

#[test]
fn claims_the_files_terraform_and_opentofu_read() {
    use super::super::Extractor;
    let terraform = super::Terraform;
    for name in [
        "main.tf",
        "main.tofu",
        "cdk.tf.json",
        "x.tofu.json",
        "terraform.tfvars",
        "prod.auto.tfvars.json",
        "config.tf.json",
    ] {
        assert!(terraform.claims(camino::Utf8Path::new(name)), "{name}");
    }
    for name in [
        "main.tftest.hcl",
        "package.json",
        "terraform.tfstate",
        "x.tf.bak",
        "tf.json",
    ] {
        assert!(!terraform.claims(camino::Utf8Path::new(name)), "{name}");
    }
}

#[test]
fn dense_json_without_room_for_newlines_is_still_read() {
    // Minified nested blocks closing at once leave HCL's newlines no room at the keys: the
    // layout moves left on the line rather than failing.
    let text = r#"{"provider":{"aws":{"region":"ap-south-1"}},"resource":{"aws_s3_bucket":{"a":{"x":{"y":{"z":{"w":{}}}}},"b":{"x":{"y":{}}}}}}"#;
    let (sources, facts) = scan(&[("d/main.tf.json", text)]);
    assert_eq!(errors(&sources, &facts), vec![]);
    let found = nodes(&sources, &facts);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(_, location, (_, line))| location == "aws:ap-south-1" && *line == 1)
    );
}

#[test]
fn override_locals_replace_locals_of_the_same_name() {
    let main = "locals {\n  region = \"eu-west-1\"\n  name   = \"x\"\n}\nprovider \"aws\" {\n  region = local.region\n}\nresource \"aws_s3_bucket\" \"b\" {}\n";
    let (sources, facts) = scan(&[
        ("l/main.tf", main),
        (
            "l/override.tf.json",
            r#"{"locals": {"region": "ap-southeast-1"}}"#,
        ),
    ]);
    assert_eq!(errors(&sources, &facts), vec![]);
    assert_eq!(nodes(&sources, &facts)[0].1, "aws:ap-southeast-1");
}

#[test]
fn large_json_files_are_read_in_linear_time() {
    // Twenty thousand resources on one line, and as many override blocks: no quadratic step.
    let mut text = String::from(r#"{"resource":{"aws_sqs_queue":{"#);
    let mut over = String::from(r#"{"resource":{"aws_sqs_queue":{"#);
    for i in 0..20_000 {
        if i > 0 {
            text.push(',');
            over.push(',');
        }
        text.push_str(&format!(r#""q{i}":{{"name":"q{i}","tags":{{"a":"b"}}}}"#));
        over.push_str(&format!(r#""q{i}":{{"tags":{{"c":"d"}}}}"#));
    }
    text.push_str("}}}");
    over.push_str("}}}");
    let start = std::time::Instant::now();
    let (sources, facts) = scan(&[("big/main.tf.json", &text), ("big/override.tf.json", &over)]);
    assert_eq!(errors(&sources, &facts).len(), 0);
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn json_written_with_arrays_at_every_level_is_read() {
    // Some generators write every level as an array of objects.
    let text = r#"{
  "provider": [{"google": [{"region": "asia-southeast1"}]}],
  "resource": [
    {
      "google_sql_database_instance": [
        {
          "main": [
            {
              "name": "main",
              "settings": [{"tier": "db-f1-micro"}]
            }
          ]
        }
      ]
    },
    {
      "google_storage_bucket": [
        {"eu": [{"name": "eu", "location": "EU"}]},
        {"us": [{"name": "us", "location": "US"}]}
      ]
    }
  ]
}"#;
    let (sources, facts) = scan(&[("arr/main.tf.json", text)]);
    assert_eq!(errors(&sources, &facts), vec![]);
    assert_eq!(
        nodes(&sources, &facts),
        vec![
            (
                "google_sql_database_instance.main".to_string(),
                "gcp:asia-southeast1".to_string(),
                ("arr/main.tf.json".to_string(), 7)
            ),
            (
                "google_storage_bucket.eu".to_string(),
                "gcp:eu".to_string(),
                ("arr/main.tf.json".to_string(), 18)
            ),
            (
                "google_storage_bucket.us".to_string(),
                "gcp:us".to_string(),
                ("arr/main.tf.json".to_string(), 19)
            ),
        ]
    );
}
