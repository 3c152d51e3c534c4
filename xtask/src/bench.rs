//! `cargo xtask bench`: generates a synthetic monorepo, scans it with the release binary, and
//! compares the cost with the floor of reading the bytes (ripgrep, or a read-all-files pass).
//!
//! The generator is deterministic (a fixed-seed PRNG written here), so every run of the same
//! scale scans the same bytes and figures from different commits are comparable. The tree is
//! annotation-dense on purpose: about 60 % of the Rust files carry a marker or a serde derive
//! and therefore reach the Rust parser, which is the worst case for borderline's prefilter.
//! A third tree keeps the 1x services and adds three times their lines as ordinary library
//! code, the way real monorepos mostly grow: memory should follow the facts, not the bytes.

mod polyglot;

use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Services at scale 1: about 1.3 million lines, the size the issue measures.
const SERVICES_AT_SCALE_1: f64 = 400.0;
/// The trees `--trees` can choose; all of them by default.
const TREES: [&str; 4] = ["1x", "4x", "4x-code", "polyglot"];
/// Timed runs per measurement; the fastest counts (the first also warms the page cache).
const RUNS: usize = 3;

/// splitmix64: small, fast, and the same sequence on every machine.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const DOMAINS: &[&str] = &[
    "billing",
    "orders",
    "catalog",
    "search",
    "accounts",
    "loyalty",
    "shipping",
    "returns",
    "pricing",
    "inventory",
    "reviews",
    "notifications",
    "identity",
    "payments",
    "support",
    "analytics",
    "recommendations",
    "warehouse",
    "invoicing",
    "fraud",
];

/// Vendors the manifest declares, with their locations and hosts (the hosts appear as URLs).
const VENDORS: &[(&str, &str, &str)] = &[
    ("stripe", "US", "api.stripe.com"),
    ("clicklens", "US", "*.clicklens.io"),
    ("mailfox", "US", "api.mailfox.com"),
    ("deskforce", "IN", "api.deskforce.in"),
    ("alpenbackup", "CH", "backup.alpenbackup.ch"),
    ("fraudshield", "GB", "api.fraudshield.co.uk"),
    ("lionpay", "SG", "gw.lionpay.sg"),
    ("crm-eu", "IE", "eu.crm-cloud.ie"),
];

/// Hosts known only to the rule data (vendor endpoints), so endpoint resolution runs too.
const RULE_HOSTS: &[&str] = &[
    "api.mixpanel.com",
    "o4506.ingest.de.sentry.io",
    "http-intake.logs.datadoghq.eu",
    "api.segment.io",
];

const CATEGORIES: &[&str] = &[
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.name",
    "user.financial.credit_card",
    "user.financial.bank_account",
    "user.behavior.purchase_history",
    "user.device.ip_address",
];

const REGIONS: &[&str] = &["eu-central-1", "eu-west-1", "us-east-1", "eu-north-1"];

const IDENTS: &[&str] = &[
    "order", "item", "total", "count", "buffer", "request", "response", "cursor", "batch",
    "config", "limit", "offset", "entry", "record", "state", "result", "handle", "token",
];

/// What the generator wrote.
#[derive(Default, Clone, Copy)]
struct TreeSize {
    files: usize,
    lines: usize,
    bytes: usize,
}

struct Generator {
    rng: Prng,
    root: PathBuf,
    size: TreeSize,
}

impl Generator {
    fn write(&mut self, relative: &str, text: &str) -> Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        self.size.files += 1;
        self.size.lines += text.lines().count();
        self.size.bytes += text.len();
        Ok(())
    }

    /// Ordinary code: functions with loops, matches, string formatting. Never a marker.
    fn functions(&mut self, out: &mut String, lines: usize) {
        let mut written = 0;
        let mut index = 0;
        while written < lines {
            let before = out.len();
            index += 1;
            let a = self.rng.pick(IDENTS);
            let b = self.rng.pick(IDENTS);
            let _ = writeln!(
                out,
                "/// Computes the {a} of a {b} for the current request.\npub fn {a}_{b}_{index}(input: &[u64], {b}: usize) -> Result<u64, Error> {{"
            );
            let _ = writeln!(out, "    let mut {a} = 0u64;");
            for step in 0..(4 + self.rng.below(12)) {
                match self.rng.below(5) {
                    0 => {
                        let _ = writeln!(
                            out,
                            "    for value in input.iter().skip({b}).take({}) {{\n        {a} = {a}.wrapping_add(*value * {});\n    }}",
                            self.rng.below(64) + 1,
                            step + 1
                        );
                    }
                    1 => {
                        let _ = writeln!(
                            out,
                            "    match {b} % {} {{\n        0 => {a} += 1,\n        1 => {a} = {a}.saturating_sub(2),\n        _ => {{}}\n    }}",
                            self.rng.below(7) + 2
                        );
                    }
                    2 => {
                        let _ = writeln!(
                            out,
                            "    tracing::debug!(\"{a} after step {step}: {{}}\", {a});"
                        );
                    }
                    3 => {
                        let _ = writeln!(
                            out,
                            "    if {a} > {} {{\n        return Err(Error::TooLarge({{ {a} }}));\n    }}",
                            self.rng.below(100_000)
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            out,
                            "    let label = format!(\"{{}}-{{}}\", \"{b}\", {a}); // keep the label short\n    {a} ^= label.len() as u64;"
                        );
                    }
                }
            }
            let _ = writeln!(out, "    Ok({a})\n}}\n");
            written += out[before..].matches('\n').count();
        }
    }

    fn service(&mut self, index: usize) -> Result<()> {
        let domain = DOMAINS[index % DOMAINS.len()];
        let name = format!("{domain}-{index:04}");
        let dir = format!("services/{name}");
        let vendor = VENDORS[self.rng.below(VENDORS.len())];
        let category_a = self.rng.pick(CATEGORIES);
        let category_b = self.rng.pick(CATEGORIES);

        self.write(
            &format!("{dir}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.{index}.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\ntokio = \"1\"\nborderline = \"0.1\"\n"
            ),
        )?;

        // model.rs: an annotated struct, unannotated serde structs that inference reads.
        let mut text = format!(
            "//! Data types of the {domain} service.\n\nuse borderline::PersonalData;\nuse serde::{{Deserialize, Serialize}};\n\n#[derive(PersonalData, Serialize, Deserialize, Debug, Clone)]\npub struct Customer {{\n    #[pii(\"{category_a}\")]\n    pub contact: String,\n    #[pii(category = \"{category_b}\")]\n    pub secondary: String,\n    pub id: u64,\n}}\n\n#[derive(Serialize, Deserialize, Debug)]\npub struct {}Event {{\n    pub id: u64,\n    pub email: String,\n    pub created_at: String,\n    pub amount_cents: i64,\n}}\n\n",
            capitalise(domain)
        );
        self.functions(&mut text, 260);
        self.write(&format!("{dir}/src/model.rs"), &text)?;

        // client.rs: a declared flow and the vendor's URL.
        let host = vendor.2.trim_start_matches("*.");
        let rule_host = self.rng.pick(RULE_HOSTS);
        let mut text = format!(
            "//! Calls to {0}.\n\nconst ENDPOINT: &str = \"https://{host}/v1/{domain}\";\nconst TELEMETRY: &str = \"https://{rule_host}/track\";\n\n#[borderline::flow(to = \"{0}\", data = [\"{category_a}\"], purpose = \"{domain}\")]\npub async fn send(customer: &crate::model::Customer) -> Result<(), Error> {{\n    let _ = (ENDPOINT, TELEMETRY, customer.id);\n    Ok(())\n}}\n\n",
            vendor.0
        );
        self.functions(&mut text, 280);
        self.write(&format!("{dir}/src/client.rs"), &text)?;

        // store.rs: a store declared in code, sometimes outside the EEA.
        let region = self.rng.pick(REGIONS);
        let mut text = format!(
            "//! The {domain} database.\n\n#[borderline::store(id = \"{name}-db\", location = \"aws:{region}\", data = [\"{category_a}\"])]\npub struct Repository;\n\nimpl Repository {{\n    #[borderline::flow(to = \"{name}-db\", data = [\"{category_a}\"])]\n    pub fn save(&self) {{}}\n}}\n\n"
        );
        self.functions(&mut text, 280);
        self.write(&format!("{dir}/src/store.rs"), &text)?;

        // tags.rs: comment tags, and a flow to a neighbouring service.
        // One service in fifty misspells its neighbour: unresolved references are part of the work.
        let previous = index.saturating_sub(1);
        let neighbour = if index % 50 == 49 {
            format!("{}-{previous:04}x", DOMAINS[previous % DOMAINS.len()])
        } else {
            format!("{}-{previous:04}", DOMAINS[previous % DOMAINS.len()])
        };
        let mut text = format!(
            "//! Jobs of the {domain} service.\n\n// borderline: flow to={neighbour} data={category_b} purpose=sync\npub fn sync() {{}}\n\n"
        );
        self.functions(&mut text, 290);
        self.write(&format!("{dir}/src/jobs.rs"), &text)?;

        // Two files with serde derives (candidate structs) and four plain files.
        for file in ["api", "events"] {
            let mut text = format!(
                "//! The {file} types of the {domain} service.\n\n#[derive(serde::Serialize)]\npub struct {}Page {{\n    pub cursor: Option<String>,\n    pub total: u64,\n}}\n\n",
                capitalise(file)
            );
            self.functions(&mut text, 300);
            self.write(&format!("{dir}/src/{file}.rs"), &text)?;
        }
        for file in ["handlers", "config", "metrics", "lib"] {
            let mut text = format!("//! {} of the {domain} service.\n\n", capitalise(file));
            let lines = 300 + self.rng.below(60);
            self.functions(&mut text, lines);
            self.write(&format!("{dir}/src/{file}.rs"), &text)?;
        }

        // Kubernetes: a ConfigMap with endpoints and a Deployment pinned to a region.
        let mut yaml = format!(
            "# {name} on the shared cluster.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-env\n  namespace: shop\ndata:\n  LOG_FORMAT: json\n  VENDOR_URL: \"https://{host}/api\"\n  TELEMETRY_HOST: {rule_host}\n"
        );
        for key in 0..20 {
            let _ = writeln!(yaml, "  FEATURE_FLAG_{key}: \"{}\"", self.rng.chance(50));
        }
        let _ = write!(
            yaml,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\n  labels:\n    app.kubernetes.io/name: {name}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {name}\n    spec:\n      nodeSelector:\n        topology.kubernetes.io/region: europe-west3\n      containers:\n        - name: {name}\n          image: europe-west3-docker.pkg.dev/acme/services/{name}:1.{index}.0\n          ports:\n            - containerPort: 8080\n          envFrom:\n            - configMapRef:\n                name: {name}-env\n          env:\n"
        );
        for key in 0..12 {
            let _ = write!(
                yaml,
                "            - name: SETTING_{key}\n              value: \"{}\"\n",
                self.rng.below(1000)
            );
        }
        self.write(&format!("{dir}/deploy/k8s/{name}.yaml"), &yaml)?;

        // Terraform: a bucket and a database in a region, through a variable.
        let mut tf = format!(
            "provider \"aws\" {{\n  region = var.region\n}}\n\nvariable \"region\" {{\n  type    = string\n  default = \"{region}\"\n}}\n\nresource \"aws_s3_bucket\" \"exports\" {{\n  bucket = \"acme-{name}-exports\"\n}}\n\nresource \"aws_db_instance\" \"main\" {{\n  identifier     = \"{name}\"\n  engine         = \"postgres\"\n  instance_class = \"db.t3.medium\"\n}}\n"
        );
        for tag in 0..10 {
            let _ = write!(
                tf,
                "\nresource \"aws_ssm_parameter\" \"p{tag}\" {{\n  name  = \"/{name}/p{tag}\"\n  type  = \"String\"\n  value = \"{}\"\n}}\n",
                self.rng.below(10_000)
            );
        }
        self.write(&format!("{dir}/infra/main.tf"), &tf)?;

        // An env file with a vendor endpoint.
        let mut env = format!(
            "# {name} settings\nDD_SITE=datadoghq.eu\nVENDOR_ENDPOINT=https://{host}/hooks\nDATABASE_POOL=10\n"
        );
        for key in 0..8 {
            let _ = writeln!(env, "TIMEOUT_{key}_MS={}", self.rng.below(5000));
        }
        self.write(&format!("{dir}/.env"), &env)?;
        Ok(())
    }

    /// A library crate of ordinary code: no marker, no data derive, no URL. Real monorepos grow
    /// mostly like this, and the scan's memory should not grow with it.
    fn plain_crate(&mut self, index: usize) -> Result<()> {
        let dir = format!("libs/util-{index:04}");
        self.write(
            &format!("{dir}/Cargo.toml"),
            &format!(
                "[package]\nname = \"util-{index:04}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"
            ),
        )?;
        for file in [
            "lib", "buffer", "cursor", "batch", "limits", "retry", "codec", "cache", "pool",
            "clock",
        ] {
            let mut text = format!("//! {} helpers.\n\n", capitalise(file));
            let lines = 320 + self.rng.below(60);
            self.functions(&mut text, lines);
            self.write(&format!("{dir}/src/{file}.rs"), &text)?;
        }
        Ok(())
    }

    fn manifest(&mut self, services: usize) -> Result<()> {
        let mut text = String::from(
            "# A synthetic monorepo for `cargo xtask bench`.\n\n[project]\nname = \"bench\"\nhome = \"EEA\"\n\n[policy]\napproved_mechanisms = [\"adequacy\", \"scc\", \"bcr\"]\nrequire_tia = true\nunknown_location = \"warning\"\n\n",
        );
        for (id, country, domain) in VENDORS {
            let _ = writeln!(
                text,
                "[[node]]\nid = \"{id}\"\nkind = \"vendor\"\nlocation = \"{country}\"\ndomains = [\"{domain}\"]\n"
            );
        }
        // A quarter of the services are declared with their paths; the rest are named by Cargo.toml.
        for index in (0..services).step_by(4) {
            let domain = DOMAINS[index % DOMAINS.len()];
            let name = format!("{domain}-{index:04}");
            let _ = writeln!(
                text,
                "[[node]]\nid = \"{name}\"\nkind = \"service\"\nlocation = \"aws:eu-central-1\"\npaths = [\"services/{name}\"]\n"
            );
        }
        self.write("borderline.toml", &text)
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A tree of `services` services and `plain` library crates of ordinary code.
fn generate(root: &Path, services: usize, plain: usize) -> Result<TreeSize> {
    if root.exists() {
        std::fs::remove_dir_all(root).with_context(|| format!("removing {}", root.display()))?;
    }
    let mut generator = Generator {
        rng: Prng(0x00B0_4DE4_11E5),
        root: root.to_path_buf(),
        size: TreeSize::default(),
    };
    generator.manifest(services)?;
    for index in 0..services {
        generator.service(index)?;
    }
    for index in 0..plain {
        generator.plain_crate(index)?;
    }
    Ok(generator.size)
}

/// Wall time and peak resident memory of one command.
#[derive(Clone, Copy)]
struct Measurement {
    wall: Duration,
    peak_kib: Option<u64>,
}

/// Runs a command under `/usr/bin/time -v` (when present) for its peak memory; `ok` judges the exit code.
fn measure(program: &Path, args: &[&str], ok: &dyn Fn(i32) -> bool) -> Result<Measurement> {
    let timer = Path::new("/usr/bin/time");
    let mut command = if timer.exists() {
        let mut command = Command::new(timer);
        command.arg("-v").arg(program);
        command
    } else {
        Command::new(program)
    };
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    let wall = start.elapsed();
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !ok(code) {
        bail!("{} exited with {code}: {stderr}", program.display());
    }
    let peak_kib = stderr
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes):")
        })
        .and_then(|value| value.trim().parse().ok());
    Ok(Measurement { wall, peak_kib })
}

/// The fastest of [`RUNS`] runs (peak memory of that run).
fn best_of(program: &Path, args: &[&str], ok: &dyn Fn(i32) -> bool) -> Result<Measurement> {
    let mut best: Option<Measurement> = None;
    for _ in 0..RUNS {
        let run = measure(program, args, ok)?;
        if best.is_none_or(|b| run.wall < b.wall) {
            best = Some(run);
        }
    }
    best.context("no run")
}

/// The floor when ripgrep is missing: read every file once, single-threaded.
fn read_all(root: &Path) -> Result<Duration> {
    let start = Instant::now();
    let mut stack = vec![root.to_path_buf()];
    let mut total = 0usize;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                total += std::fs::read(entry.path())?.len();
            }
        }
    }
    std::hint::black_box(total);
    Ok(start.elapsed())
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// One size: generate, scan, compare with the floor.
struct Row {
    size: TreeSize,
    scan: Measurement,
    floor: Duration,
    floor_peak_kib: Option<u64>,
}

fn run_size(binary: &Path, root: &Path, services: usize, plain: usize) -> Result<Row> {
    let size = generate(root, services, plain)?;
    measure_tree(binary, root, size)
}

/// Scans a generated tree and reads it with the floor.
fn measure_tree(binary: &Path, root: &Path, size: TreeSize) -> Result<Row> {
    let root_text = root.to_string_lossy().to_string();
    let (floor, floor_peak_kib) = match which("rg") {
        Some(rg) => {
            let run = best_of(&rg, &["-c", "borderline|https://", &root_text], &|code| {
                code <= 1
            })?;
            (run.wall, run.peak_kib)
        }
        None => {
            let mut best = Duration::MAX;
            for _ in 0..RUNS {
                best = best.min(read_all(root)?);
            }
            (best, None)
        }
    };
    // Exit code 1 means findings, which the synthetic tree has on purpose.
    let scan = best_of(
        binary,
        &[
            "scan",
            &root_text,
            "--format",
            "json",
            "--date",
            "2026-11-29",
        ],
        &|code| code <= 1,
    )?;
    Ok(Row {
        size,
        scan,
        floor,
        floor_peak_kib,
    })
}

/// This build against another `borderline` binary (an earlier commit's) on the same tree, their
/// runs interleaved so that both see the same machine load: the fastest of [`RUNS`] each.
fn compare_on(label: &str, binary: &Path, other: &Path, root: &Path) -> Result<()> {
    let root_text = root.to_string_lossy().to_string();
    let args = [
        "scan",
        &root_text,
        "--format",
        "json",
        "--date",
        "2026-11-29",
    ];
    let mut best = [Duration::MAX; 2];
    for _ in 0..RUNS {
        for (slot, program) in [binary, other].into_iter().enumerate() {
            let run = measure(program, &args, &|code| code <= 1)?;
            best[slot] = best[slot].min(run.wall);
        }
    }
    let [this, that] = best.map(|d| d.as_secs_f64());
    println!(
        "{label}, this build against {}: {this:.3} s vs {that:.3} s (interleaved, fastest of {RUNS} each); this/other {:.2}x",
        other.display(),
        this / that.max(1e-6)
    );
    Ok(())
}

fn print_growth(label: &str, from: &Row, to: &Row) {
    let time_growth = to.scan.wall.as_secs_f64() / from.scan.wall.as_secs_f64().max(1e-6);
    let memory_growth = match (from.scan.peak_kib, to.scan.peak_kib) {
        (Some(a), Some(b)) if a > 0 => format!("{:.2}x", b as f64 / a as f64),
        _ => "n/a".into(),
    };
    println!(
        "growth {label}: lines {:.2}x, scan time {time_growth:.2}x, peak memory {memory_growth}",
        to.size.lines as f64 / from.size.lines.max(1) as f64
    );
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
}

fn print_row(label: &str, row: &Row) {
    let seconds = row.scan.wall.as_secs_f64();
    let mb = row.size.bytes as f64 / 1e6;
    println!(
        "{label}: {} files, {} lines, {mb:.1} MB; scan {seconds:.3} s ({:.1} MB/s), peak {}; floor {:.3} s (peak {}); scan/floor {:.1}x",
        row.size.files,
        row.size.lines,
        mb / seconds,
        mib(row.scan.peak_kib),
        row.floor.as_secs_f64(),
        mib(row.floor_peak_kib),
        seconds / row.floor.as_secs_f64().max(1e-6),
    );
}

pub fn bench(args: &[&str], workspace: &Path) -> Result<()> {
    let mut scale = 1.0f64;
    let mut keep: Option<PathBuf> = None;
    let mut compare: Option<PathBuf> = None;
    let mut trees: Vec<String> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--scale" => {
                scale = rest
                    .next()
                    .context("--scale needs a number")?
                    .parse()
                    .context("--scale needs a number")?;
            }
            "--keep" => keep = Some(PathBuf::from(rest.next().context("--keep needs a DIR")?)),
            "--trees" => {
                trees = rest
                    .next()
                    .context("--trees needs a list")?
                    .split(',')
                    .map(str::to_string)
                    .collect();
                if let Some(unknown) = trees.iter().find(|t| !TREES.contains(&t.as_str())) {
                    bail!("unknown tree `{unknown}`; trees: {}", TREES.join(", "));
                }
            }
            "--compare" => {
                compare = Some(PathBuf::from(
                    rest.next().context("--compare needs a BINARY")?,
                ));
            }
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask bench [--scale X] [--keep DIR] [--compare BINARY] [--trees 1x,4x,4x-code,polyglot]"
            ),
        }
    }
    if scale.is_nan() || scale <= 0.0 {
        bail!("--scale must be positive");
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(["build", "--release", "--quiet", "-p", "borderline"])
        .status()
        .context("building the release binary")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let binary = workspace.join("target/release/borderline");
    let base = keep
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("borderline-bench"));
    let floor_name = if which("rg").is_some() {
        "ripgrep `rg -c \"borderline|https://\"`"
    } else {
        "a single-threaded read of every file (ripgrep not installed)"
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("machine: {cores} cores; floor: {floor_name}; fastest of {RUNS} runs each");

    let services = ((SERVICES_AT_SCALE_1 * scale).round() as usize).max(1);
    let wanted = |tree: &str| trees.is_empty() || trees.iter().any(|t| t == tree);
    let one = if wanted("1x") {
        let one = run_size(&binary, &base.join("1x"), services, 0)?;
        print_row("1x", &one);
        if let Some(other) = &compare {
            compare_on("1x", &binary, other, &base.join("1x"))?;
        }
        Some(one)
    } else {
        None
    };
    let four = if wanted("4x") {
        let four = run_size(&binary, &base.join("4x"), services * 4, 0)?;
        print_row("4x", &four);
        Some(four)
    } else {
        None
    };
    // The 1x services again, with three times their lines added as ordinary library code.
    let plain = if wanted("4x-code") {
        let plain = run_size(&binary, &base.join("4x-code"), services, services * 3)?;
        print_row("4x code, 1x annotations", &plain);
        Some(plain)
    } else {
        None
    };
    if wanted("polyglot") {
        let root = base.join("polyglot");
        let size = polyglot::generate(&root, scale)?;
        let row = measure_tree(&binary, &root, size)?;
        print_row("polyglot, unannotated", &row);
        if let Some(other) = &compare {
            compare_on("polyglot", &binary, other, &root)?;
        }
    }
    if let (Some(one), Some(four)) = (&one, &four) {
        print_growth("1x -> 4x", one, four);
    }
    if let (Some(one), Some(plain)) = (&one, &plain) {
        print_growth("1x -> 4x code, same annotations", one, plain);
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&base);
    } else {
        println!("trees kept in {}", base.display());
    }
    Ok(())
}
