//! The polyglot tree of `cargo xtask bench`: unannotated services in Python, TypeScript and
//! JavaScript, Go, Java and Kotlin, Ruby, C#, PHP and Rust, the way teams write them.
//!
//! Nothing here carries a borderline annotation: whatever the scan finds, it infers from code and
//! configuration. Each service has its language's package manifest, a client module that calls a
//! vendor with the usual HTTP client and initialises an SDK (Sentry, a cloud storage client with a
//! region), URL constants, log lines and comments that mention URLs (which are not flows), a test
//! file that calls a sandbox host, a large generated file (protobuf stubs, a schema) and plenty of
//! ordinary code. The hosts are vendors' real API hosts, so the extractors resolve what they find
//! through the rule data; the filler code never holds a URL, which is how most code looks.

use super::{Generator, TreeSize};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Services per language: 8 languages x 40 services x about 3,300 lines is about 1.05 M lines.
const SERVICES_PER_LANGUAGE: usize = 40;

/// Vendor API hosts written in the client modules (endpoints real SDKs and clients call).
const API_HOSTS: &[&str] = &[
    "api.segment.io",
    "api.mixpanel.com",
    "api.stripe.com",
    "api.sendgrid.com",
    "api.twilio.com",
    "api.eu.mailgun.net",
    "http-intake.logs.datadoghq.eu",
    "api.openai.com",
    "api.intercom.io",
    "eu.posthog.com",
];

/// Sentry DSN hosts: US default and the EU ingest.
const SENTRY_HOSTS: &[&str] = &["o4506.ingest.sentry.io", "o4506.ingest.de.sentry.io"];

/// AWS regions for storage clients, inside and outside the EEA.
const REGIONS: &[&str] = &["eu-central-1", "eu-west-1", "us-east-1", "ap-southeast-1"];

/// Links that documentation, logs and comments mention: never flows.
const LINKS: &[&str] = &[
    "https://docs.python.org/3/library/logging.html",
    "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status",
    "https://github.com/acme/platform/issues/1432",
    "https://pkg.go.dev/net/http",
    "https://learn.microsoft.com/dotnet/api/system.net.http.httpclient",
];

/// The languages, in the order their services are generated.
#[derive(Clone, Copy)]
enum Language {
    Python,
    TypeScript,
    Go,
    Java,
    Kotlin,
    Ruby,
    CSharp,
    Php,
    Rust,
    JavaScript,
}

const LANGUAGES: [Language; 10] = [
    Language::Python,
    Language::TypeScript,
    Language::Go,
    Language::Java,
    Language::Kotlin,
    Language::Ruby,
    Language::CSharp,
    Language::Php,
    Language::Rust,
    Language::JavaScript,
];

impl Language {
    fn slug(self) -> &'static str {
        match self {
            Language::Python => "py",
            Language::TypeScript => "ts",
            Language::Go => "go",
            Language::Java => "java",
            Language::Kotlin => "kt",
            Language::Ruby => "rb",
            Language::CSharp => "cs",
            Language::Php => "php",
            Language::Rust => "rs",
            Language::JavaScript => "js",
        }
    }

    /// Java and Kotlin share the JVM's share of services, TypeScript and JavaScript the Node one.
    fn share(self) -> usize {
        match self {
            Language::Java | Language::Kotlin | Language::TypeScript | Language::JavaScript => {
                SERVICES_PER_LANGUAGE / 2
            }
            _ => SERVICES_PER_LANGUAGE,
        }
    }
}

/// What one service's client module needs to know.
struct Service<'a> {
    name: String,
    domain: &'a str,
    host: &'a str,
    second_host: &'a str,
    sentry: &'a str,
    region: &'a str,
    link: &'a str,
    index: usize,
}

/// Generates the polyglot tree under `root`.
pub(super) fn generate(root: &Path, scale: f64) -> Result<TreeSize> {
    if root.exists() {
        std::fs::remove_dir_all(root).with_context(|| format!("removing {}", root.display()))?;
    }
    let mut generator = Generator {
        rng: super::Prng(0x00B0_4DE4_11E6),
        root: root.to_path_buf(),
        size: TreeSize::default(),
    };
    generator.write(
        "borderline.toml",
        "# A synthetic polyglot monorepo for `cargo xtask bench`: no node is declared.\n\n[project]\nname = \"polyglot\"\nhome = \"EEA\"\n",
    )?;
    let mut index = 0;
    for language in LANGUAGES {
        let count = ((language.share() as f64 * scale).round() as usize).max(1);
        for _ in 0..count {
            generator.polyglot_service(language, index)?;
            index += 1;
        }
    }
    Ok(generator.size)
}

impl Generator {
    fn polyglot_service(&mut self, language: Language, index: usize) -> Result<()> {
        let domain = super::DOMAINS[index % super::DOMAINS.len()];
        let service = Service {
            name: format!("{}-{domain}-{index:04}", language.slug()),
            domain,
            host: self.rng.pick(API_HOSTS),
            second_host: self.rng.pick(API_HOSTS),
            sentry: self.rng.pick(SENTRY_HOSTS),
            region: self.rng.pick(REGIONS),
            link: self.rng.pick(LINKS),
            index,
        };
        let dir = format!("services/{}", service.name);
        let files = match language {
            Language::Python => python(&service),
            Language::TypeScript => node(&service, "ts"),
            Language::JavaScript => node(&service, "js"),
            Language::Go => go(&service),
            Language::Java => java(&service),
            Language::Kotlin => kotlin(&service),
            Language::Ruby => ruby(&service),
            Language::CSharp => csharp(&service),
            Language::Php => php(&service),
            Language::Rust => rust(&service),
        };
        for (path, text) in files.fixed {
            self.write(&format!("{dir}/{path}"), &text)?;
        }
        // Ordinary code: most of each service, in files of 300 to 400 lines.
        for (number, path) in files.plain.iter().enumerate() {
            let lines = 300 + self.rng.below(100);
            let text = self.plain_code(language, &service, number, lines);
            self.write(&format!("{dir}/{path}"), &text)?;
        }
        let generated = self.generated_code(language, &service);
        self.write(&format!("{dir}/{}", files.generated), &generated)?;
        // An environment file some services keep next to their code.
        if index.is_multiple_of(3) {
            let env = format!(
                "# {name} settings\nSENTRY_DSN=https://abc@{sentry}/12\nAWS_REGION={region}\nLOG_LEVEL=info\n",
                name = service.name,
                sentry = service.sentry,
                region = service.region
            );
            self.write(&format!("{dir}/.env.example"), &env)?;
        }
        Ok(())
    }

    /// Ordinary code of one language: functions with loops, conditions, formatting and logs, with
    /// doc comments; never a URL.
    fn plain_code(
        &mut self,
        language: Language,
        service: &Service<'_>,
        number: usize,
        lines: usize,
    ) -> String {
        let shape = Shape::of(language);
        let mut out = shape.header.replace("{domain}", service.domain);
        let mut function = 0;
        while out.lines().count() < lines {
            function += 1;
            let a = self.rng.pick(super::IDENTS);
            let b = self.rng.pick(super::IDENTS);
            let name = format!("{a}_{b}_{number}_{function}");
            let fill = |template: &str, n: usize| {
                template
                    .replace("{name}", &name)
                    .replace("{Name}", &camel(&name))
                    .replace("{a}", a)
                    .replace("{b}", b)
                    .replace("{n}", &n.to_string())
            };
            out.push_str(&fill(shape.open, 0));
            for step in 0..(4 + self.rng.below(10)) {
                let statement = shape.statements[self.rng.below(shape.statements.len())];
                out.push_str(&fill(statement, step + self.rng.below(90) + 2));
            }
            out.push_str(&fill(shape.close, 0));
        }
        out.push_str(shape.footer);
        out
    }

    /// A large generated file: protobuf-style message stubs, one field per line.
    fn generated_code(&mut self, language: Language, service: &Service<'_>) -> String {
        let shape = Shape::of(language);
        let mut out = String::from(shape.generated_header);
        for message in 0..60 {
            let _ = writeln!(
                out,
                "{}",
                shape
                    .generated_message
                    .replace("{M}", &format!("{}Message{message}", camel(service.domain)))
            );
            for field in 0..12 {
                let ident = self.rng.pick(super::IDENTS);
                let _ = writeln!(
                    out,
                    "{}",
                    shape
                        .generated_field
                        .replace("{f}", &format!("{ident}_{field}"))
                        .replace("{n}", &(field + 1).to_string())
                );
            }
            let _ = writeln!(out, "{}", shape.generated_end);
        }
        out
    }
}

/// The files of one service besides its ordinary code: fixed ones (manifest, client, tests),
/// the paths of its ordinary code files and of its generated file.
struct Files {
    fixed: Vec<(String, String)>,
    plain: Vec<String>,
    generated: String,
}

fn plain_paths(pattern: &str) -> Vec<String> {
    [
        "handlers", "orders", "billing", "cursor", "batch", "retry", "codec", "cache", "pool",
        "limits",
    ]
    .iter()
    .map(|name| pattern.replace("{}", name).replace("{Cap}", &camel(name)))
    .collect()
}

fn camel(word: &str) -> String {
    word.split(['_', '-'])
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn python(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        index,
    } = s;
    Files {
        fixed: vec![
            (
                "pyproject.toml".into(),
                format!(
                    "[project]\nname = \"{name}\"\nversion = \"1.{index}.0\"\ndependencies = [\n    \"requests>=2.31\",\n    \"boto3>=1.34\",\n    \"sentry-sdk>=2.0\",\n    \"httpx>=0.27\",\n]\n"
                ),
            ),
            (
                "requirements.txt".into(),
                "requests==2.32.3\nboto3==1.35.0\nsentry-sdk==2.14.0\nhttpx==0.27.2\n".into(),
            ),
            (
                format!("{domain}/clients.py"),
                format!(
                    "\"\"\"Outbound calls of the {domain} service.\n\nSee {link} for the logging setup.\n\"\"\"\nimport logging\nimport os\n\nimport boto3\nimport httpx\nimport requests\nimport sentry_sdk\n\nlog = logging.getLogger(__name__)\n\nTRACK_URL = \"https://{host}/v1/track\"\n# The fallback endpoint, https://{second_host}/v2, is configured per tenant.\n\nsentry_sdk.init(dsn=\"https://3f1c@{sentry}/4507\", traces_sample_rate=0.2)\n\ns3 = boto3.client(\"s3\", region_name=\"{region}\")\n\n\ndef track(user_id, event):\n    log.info(\"posting %s to https://{host}/v1/track\", event)\n    response = requests.post(TRACK_URL, json={{\"userId\": user_id, \"event\": event}}, timeout=5)\n    response.raise_for_status()\n    return response.json()\n\n\nasync def notify(payload):\n    async with httpx.AsyncClient() as client:\n        return await client.post(\"https://{second_host}/v2/messages\", json=payload)\n\n\ndef export(key, body):\n    s3.put_object(Bucket=os.environ.get(\"EXPORT_BUCKET\", \"{name}-exports\"), Key=key, Body=body)\n"
                ),
            ),
            (
                "tests/test_clients.py".into(),
                format!(
                    "import responses\n\nfrom {domain} import clients\n\n\n@responses.activate\ndef test_track():\n    responses.add(responses.POST, \"https://{host}/v1/track\", json={{}})\n    assert clients.track(\"u1\", \"signup\") == {{}}\n"
                ),
            ),
        ],
        plain: plain_paths(&format!("{domain}/{{}}.py")),
        generated: format!("{domain}/proto/{domain}_pb2.py"),
    }
}

fn node(s: &Service<'_>, extension: &str) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        index,
    } = s;
    Files {
        fixed: vec![
            (
                "package.json".into(),
                format!(
                    "{{\n  \"name\": \"@acme/{name}\",\n  \"version\": \"1.{index}.0\",\n  \"main\": \"dist/index.js\",\n  \"dependencies\": {{\n    \"@aws-sdk/client-s3\": \"^3.600.0\",\n    \"@sentry/node\": \"^8.30.0\",\n    \"axios\": \"^1.7.0\"\n  }}\n}}\n"
                ),
            ),
            (
                format!("src/clients.{extension}"),
                format!(
                    "// Outbound calls of the {domain} service; status codes: {link}\nimport axios from \"axios\";\nimport {{ S3Client, PutObjectCommand }} from \"@aws-sdk/client-s3\";\nimport * as Sentry from \"@sentry/node\";\n\nconst TRACK_URL = \"https://{host}/v1/track\";\n\nSentry.init({{ dsn: \"https://3f1c@{sentry}/4507\", tracesSampleRate: 0.2 }});\n\nconst s3 = new S3Client({{ region: \"{region}\" }});\n\nexport async function track(userId, event) {{\n  console.log(`posting ${{event}} to https://{host}/v1/track`);\n  const response = await axios.post(TRACK_URL, {{ userId, event }});\n  return response.data;\n}}\n\nexport async function notify(payload) {{\n  return fetch(\"https://{second_host}/v2/messages\", {{ method: \"POST\", body: JSON.stringify(payload) }});\n}}\n\nexport async function exportObject(key, body) {{\n  await s3.send(new PutObjectCommand({{ Bucket: \"{name}-exports\", Key: key, Body: body }}));\n}}\n"
                ),
            ),
            (
                format!("src/clients.spec.{extension}"),
                format!(
                    "import nock from \"nock\";\nimport {{ track }} from \"./clients\";\n\ndescribe(\"track\", () => {{\n  it(\"posts the event\", async () => {{\n    nock(\"https://{host}\").post(\"/v1/track\").reply(200, {{}});\n    await track(\"u1\", \"signup\");\n  }});\n}});\n"
                ),
            ),
        ],
        plain: plain_paths(&format!("src/{{}}.{extension}")),
        generated: format!("src/generated/{domain}.pb.{extension}"),
    }
}

fn go(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        ..
    } = s;
    Files {
        fixed: vec![
            (
                "go.mod".into(),
                format!(
                    "module github.com/acme/{name}\n\ngo 1.22\n\nrequire (\n\tgithub.com/aws/aws-sdk-go-v2/config v1.27.0\n\tgithub.com/aws/aws-sdk-go-v2/service/s3 v1.58.0\n\tgithub.com/getsentry/sentry-go v0.28.1\n)\n"
                ),
            ),
            (
                "internal/client/client.go".into(),
                format!(
                    "// Package client holds the outbound calls of the {domain} service.\n// See {link}.\npackage client\n\nimport (\n\t\"bytes\"\n\t\"context\"\n\t\"log\"\n\t\"net/http\"\n\n\t\"github.com/aws/aws-sdk-go-v2/config\"\n\t\"github.com/aws/aws-sdk-go-v2/service/s3\"\n\t\"github.com/getsentry/sentry-go\"\n)\n\nconst trackURL = \"https://{host}/v1/track\"\n\nfunc Init(ctx context.Context) (*s3.Client, error) {{\n\tif err := sentry.Init(sentry.ClientOptions{{Dsn: \"https://3f1c@{sentry}/4507\"}}); err != nil {{\n\t\treturn nil, err\n\t}}\n\tcfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(\"{region}\"))\n\tif err != nil {{\n\t\treturn nil, err\n\t}}\n\treturn s3.NewFromConfig(cfg), nil\n}}\n\nfunc Track(body []byte) error {{\n\tlog.Printf(\"posting to https://{host}/v1/track\")\n\tresp, err := http.Post(trackURL, \"application/json\", bytes.NewReader(body))\n\tif err != nil {{\n\t\treturn err\n\t}}\n\treturn resp.Body.Close()\n}}\n\nfunc Notify(body []byte) error {{\n\treq, err := http.NewRequest(http.MethodPost, \"https://{second_host}/v2/messages\", bytes.NewReader(body))\n\tif err != nil {{\n\t\treturn err\n\t}}\n\t_, err = http.DefaultClient.Do(req)\n\treturn err\n}}\n"
                ),
            ),
            (
                "internal/client/client_test.go".into(),
                format!(
                    "package client\n\nimport \"testing\"\n\nfunc TestTrack(t *testing.T) {{\n\tt.Setenv(\"TRACK_URL\", \"https://{host}/sandbox\")\n\tif err := Track([]byte(\"{{}}\")); err != nil {{\n\t\tt.Skip(err)\n\t}}\n}}\n"
                ),
            ),
        ],
        plain: plain_paths("internal/{}/{}.go"),
        generated: format!("api/{domain}.pb.go"),
    }
}

fn java(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        index,
    } = s;
    let package = format!("com.acme.{}", domain.replace('-', ""));
    let dir = package.replace('.', "/");
    let region_constant = region.to_ascii_uppercase().replace('-', "_");
    Files {
        fixed: vec![
            (
                "pom.xml".into(),
                format!(
                    "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.acme</groupId>\n  <artifactId>{name}</artifactId>\n  <version>1.{index}.0</version>\n  <dependencies>\n    <dependency>\n      <groupId>software.amazon.awssdk</groupId>\n      <artifactId>s3</artifactId>\n      <version>2.26.0</version>\n    </dependency>\n    <dependency>\n      <groupId>io.sentry</groupId>\n      <artifactId>sentry</artifactId>\n      <version>7.14.0</version>\n    </dependency>\n  </dependencies>\n</project>\n"
                ),
            ),
            (
                format!("src/main/java/{dir}/VendorClient.java"),
                format!(
                    "package {package};\n\nimport io.sentry.Sentry;\nimport java.net.URI;\nimport java.net.http.HttpClient;\nimport java.net.http.HttpRequest;\nimport java.net.http.HttpResponse;\nimport java.util.logging.Logger;\nimport software.amazon.awssdk.regions.Region;\nimport software.amazon.awssdk.services.s3.S3Client;\n\n/** Outbound calls of the {domain} service. See {link}. */\npublic final class VendorClient {{\n    private static final Logger LOG = Logger.getLogger(VendorClient.class.getName());\n    private static final String TRACK_URL = \"https://{host}/v1/track\";\n\n    private final HttpClient http = HttpClient.newHttpClient();\n    private final S3Client s3 = S3Client.builder().region(Region.{region_constant}).build();\n\n    public VendorClient() {{\n        Sentry.init(options -> options.setDsn(\"https://3f1c@{sentry}/4507\"));\n    }}\n\n    public int track(String body) throws Exception {{\n        LOG.info(\"posting to https://{host}/v1/track\");\n        HttpRequest request = HttpRequest.newBuilder(URI.create(TRACK_URL))\n            .POST(HttpRequest.BodyPublishers.ofString(body))\n            .build();\n        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();\n    }}\n\n    public int notify(String body) throws Exception {{\n        HttpRequest request = HttpRequest.newBuilder(URI.create(\"https://{second_host}/v2/messages\"))\n            .POST(HttpRequest.BodyPublishers.ofString(body))\n            .build();\n        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();\n    }}\n}}\n"
                ),
            ),
            (
                format!("src/test/java/{dir}/VendorClientTest.java"),
                format!(
                    "package {package};\n\nimport org.junit.jupiter.api.Test;\n\nclass VendorClientTest {{\n    private static final String SANDBOX = \"https://{host}/sandbox\";\n\n    @Test\n    void tracks() throws Exception {{\n        new VendorClient().track(SANDBOX);\n    }}\n}}\n"
                ),
            ),
        ],
        plain: plain_paths(&format!("src/main/java/{dir}/{{Cap}}Service.java")),
        generated: format!("src/main/java/{dir}/proto/{}Proto.java", camel(domain)),
    }
}

fn kotlin(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        ..
    } = s;
    let package = format!("com.acme.{}", domain.replace('-', ""));
    let dir = package.replace('.', "/");
    Files {
        fixed: vec![
            (
                "build.gradle.kts".into(),
                format!(
                    "plugins {{\n    kotlin(\"jvm\") version \"2.0.20\"\n}}\n\ngroup = \"com.acme\"\n// {name}\n\ndependencies {{\n    implementation(\"com.squareup.okhttp3:okhttp:4.12.0\")\n    implementation(\"aws.sdk.kotlin:s3:1.3.0\")\n    implementation(\"io.sentry:sentry:7.14.0\")\n}}\n"
                ),
            ),
            (
                format!("src/main/kotlin/{dir}/VendorClient.kt"),
                format!(
                    "package {package}\n\nimport aws.sdk.kotlin.services.s3.S3Client\nimport io.sentry.Sentry\nimport okhttp3.MediaType.Companion.toMediaType\nimport okhttp3.OkHttpClient\nimport okhttp3.Request\nimport okhttp3.RequestBody.Companion.toRequestBody\nimport org.slf4j.LoggerFactory\n\n/** Outbound calls of the {domain} service. See {link}. */\nclass VendorClient {{\n    private val log = LoggerFactory.getLogger(VendorClient::class.java)\n    private val http = OkHttpClient()\n    private val s3 = S3Client {{ region = \"{region}\" }}\n\n    init {{\n        Sentry.init {{ it.dsn = \"https://3f1c@{sentry}/4507\" }}\n    }}\n\n    fun track(body: String): Int {{\n        log.info(\"posting to https://{host}/v1/track\")\n        val request = Request.Builder()\n            .url(TRACK_URL)\n            .post(body.toRequestBody(\"application/json\".toMediaType()))\n            .build()\n        return http.newCall(request).execute().use {{ it.code }}\n    }}\n\n    fun notify(body: String): Int {{\n        val request = Request.Builder().url(\"https://{second_host}/v2/messages\")\n            .post(body.toRequestBody()).build()\n        return http.newCall(request).execute().use {{ it.code }}\n    }}\n\n    companion object {{\n        const val TRACK_URL = \"https://{host}/v1/track\"\n    }}\n}}\n"
                ),
            ),
            (
                format!("src/test/kotlin/{dir}/VendorClientTest.kt"),
                format!(
                    "package {package}\n\nimport kotlin.test.Test\n\nclass VendorClientTest {{\n    @Test\n    fun tracks() {{\n        VendorClient().track(\"https://{host}/sandbox\")\n    }}\n}}\n"
                ),
            ),
        ],
        plain: plain_paths(&format!("src/main/kotlin/{dir}/{{Cap}}Service.kt")),
        generated: format!("src/main/kotlin/{dir}/proto/{}Proto.kt", camel(domain)),
    }
}

fn ruby(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        ..
    } = s;
    Files {
        fixed: vec![
            (
                "Gemfile".into(),
                format!(
                    "# {name}\nsource \"https://rubygems.org\"\n\ngem \"rails\", \"~> 7.2\"\ngem \"faraday\", \"~> 2.10\"\ngem \"aws-sdk-s3\", \"~> 1.160\"\ngem \"sentry-ruby\", \"~> 5.19\"\n"
                ),
            ),
            (
                "config/initializers/sentry.rb".into(),
                format!(
                    "Sentry.init do |config|\n  config.dsn = \"https://3f1c@{sentry}/4507\"\n  config.traces_sample_rate = 0.2\nend\n"
                ),
            ),
            (
                "app/services/vendor_client.rb".into(),
                format!(
                    "# Outbound calls of the {domain} service. See {link}.\nrequire \"net/http\"\n\nclass VendorClient\n  TRACK_URL = \"https://{host}/v1/track\"\n\n  def initialize\n    @s3 = Aws::S3::Client.new(region: \"{region}\")\n    @conn = Faraday.new(url: \"https://{second_host}\")\n  end\n\n  def track(body)\n    Rails.logger.info(\"posting to https://{host}/v1/track\")\n    Net::HTTP.post(URI(TRACK_URL), body, \"Content-Type\" => \"application/json\")\n  end\n\n  def notify(payload)\n    @conn.post(\"/v2/messages\", payload.to_json)\n  end\nend\n"
                ),
            ),
            (
                "spec/services/vendor_client_spec.rb".into(),
                format!(
                    "require \"rails_helper\"\n\nRSpec.describe VendorClient do\n  it \"tracks\" do\n    stub_request(:post, \"https://{host}/v1/track\")\n    described_class.new.track(\"{{}}\")\n  end\nend\n"
                ),
            ),
        ],
        plain: plain_paths("app/models/{}.rb"),
        generated: "db/schema.rb".into(),
    }
}

fn csharp(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        index,
    } = s;
    let project = camel(name);
    let endpoint = camel(region);
    Files {
        fixed: vec![
            (
                format!("{project}.csproj"),
                format!(
                    "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n    <Version>1.{index}.0</Version>\n  </PropertyGroup>\n  <ItemGroup>\n    <PackageReference Include=\"AWSSDK.S3\" Version=\"3.7.400\" />\n    <PackageReference Include=\"Sentry.AspNetCore\" Version=\"4.10.0\" />\n  </ItemGroup>\n</Project>\n"
                ),
            ),
            (
                "Clients/VendorClient.cs".into(),
                format!(
                    "using System.Net.Http;\nusing System.Text;\nusing Amazon;\nusing Amazon.S3;\nusing Microsoft.Extensions.Logging;\n\nnamespace {project}.Clients;\n\n/// <summary>Outbound calls of the {domain} service. See {link}.</summary>\npublic sealed class VendorClient\n{{\n    private const string TrackUrl = \"https://{host}/v1/track\";\n    private static readonly HttpClient Http = new HttpClient();\n    private readonly AmazonS3Client _s3 = new AmazonS3Client(RegionEndpoint.GetBySystemName(\"{region}\"));\n    private readonly ILogger<VendorClient> _log;\n\n    public VendorClient(ILogger<VendorClient> log)\n    {{\n        _log = log;\n        SentrySdk.Init(o => o.Dsn = \"https://3f1c@{sentry}/4507\");\n    }}\n\n    public async Task<int> Track(string body)\n    {{\n        _log.LogInformation(\"posting to https://{host}/v1/track\");\n        var response = await Http.PostAsync(TrackUrl, new StringContent(body, Encoding.UTF8, \"application/json\"));\n        return (int)response.StatusCode;\n    }}\n\n    public Task<HttpResponseMessage> Notify(string body) =>\n        Http.PostAsync(\"https://{second_host}/v2/messages\", new StringContent(body));\n\n    // {endpoint} is the region's endpoint name.\n}}\n"
                ),
            ),
            (
                format!("tests/{project}.Tests/VendorClientTests.cs"),
                format!(
                    "using Xunit;\n\nnamespace {project}.Tests;\n\npublic class VendorClientTests\n{{\n    private const string Sandbox = \"https://{host}/sandbox\";\n\n    [Fact]\n    public void Tracks() => Assert.NotNull(Sandbox);\n}}\n"
                ),
            ),
        ],
        plain: plain_paths("Services/{Cap}Service.cs"),
        generated: format!("Generated/{}.g.cs", camel(domain)),
    }
}

fn php(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        ..
    } = s;
    Files {
        fixed: vec![
            (
                "composer.json".into(),
                format!(
                    "{{\n    \"name\": \"acme/{name}\",\n    \"require\": {{\n        \"php\": \"^8.2\",\n        \"aws/aws-sdk-php\": \"^3.300\",\n        \"guzzlehttp/guzzle\": \"^7.9\",\n        \"sentry/sentry\": \"^4.9\"\n    }}\n}}\n"
                ),
            ),
            (
                "src/VendorClient.php".into(),
                format!(
                    "<?php\n\nnamespace Acme\\{cap};\n\nuse Aws\\S3\\S3Client;\nuse GuzzleHttp\\Client;\n\n// Outbound calls of the {domain} service. See {link}.\nfinal class VendorClient\n{{\n    private const TRACK_URL = 'https://{host}/v1/track';\n\n    private S3Client $s3;\n    private Client $http;\n\n    public function __construct()\n    {{\n        \\Sentry\\init(['dsn' => 'https://3f1c@{sentry}/4507']);\n        $this->s3 = new S3Client(['region' => '{region}', 'version' => 'latest']);\n        $this->http = new Client();\n    }}\n\n    public function track(string $body): int\n    {{\n        error_log('posting to https://{host}/v1/track');\n        $ch = curl_init(self::TRACK_URL);\n        curl_setopt($ch, CURLOPT_POSTFIELDS, $body);\n        curl_exec($ch);\n        return curl_getinfo($ch, CURLINFO_HTTP_CODE);\n    }}\n\n    public function notify(array $payload): int\n    {{\n        return $this->http->post('https://{second_host}/v2/messages', ['json' => $payload])->getStatusCode();\n    }}\n}}\n",
                    cap = camel(domain)
                ),
            ),
            (
                "tests/VendorClientTest.php".into(),
                format!(
                    "<?php\n\nuse PHPUnit\\Framework\\TestCase;\n\nfinal class VendorClientTest extends TestCase\n{{\n    public function testTrack(): void\n    {{\n        $this->assertSame('https://{host}/sandbox', 'https://{host}/sandbox');\n    }}\n}}\n"
                ),
            ),
        ],
        plain: plain_paths("src/{Cap}Service.php"),
        generated: format!("src/Generated/{}Proto.php", camel(domain)),
    }
}

fn rust(s: &Service<'_>) -> Files {
    let Service {
        name,
        domain,
        host,
        second_host,
        sentry,
        region,
        link,
        index,
    } = s;
    Files {
        fixed: vec![
            (
                "Cargo.toml".into(),
                format!(
                    "[package]\nname = \"{name}\"\nversion = \"1.{index}.0\"\nedition = \"2024\"\n\n[dependencies]\nreqwest = {{ version = \"0.12\", features = [\"json\"] }}\nsentry = \"0.34\"\naws-config = \"1\"\naws-sdk-s3 = \"1\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\n"
                ),
            ),
            (
                "src/client.rs".into(),
                format!(
                    "//! Outbound calls of the {domain} service. See <{link}>.\n\nuse aws_config::Region;\n\nconst TRACK_URL: &str = \"https://{host}/v1/track\";\n\npub fn init() -> sentry::ClientInitGuard {{\n    sentry::init((\"https://3f1c@{sentry}/4507\", sentry::ClientOptions::default()))\n}}\n\npub async fn storage() -> aws_sdk_s3::Client {{\n    let config = aws_config::from_env().region(Region::new(\"{region}\")).load().await;\n    aws_sdk_s3::Client::new(&config)\n}}\n\npub async fn track(client: &reqwest::Client, body: String) -> reqwest::Result<u16> {{\n    tracing::info!(\"posting to https://{host}/v1/track\");\n    let response = client.post(TRACK_URL).body(body).send().await?;\n    Ok(response.status().as_u16())\n}}\n\npub async fn notify(client: &reqwest::Client, body: String) -> reqwest::Result<()> {{\n    client.post(\"https://{second_host}/v2/messages\").body(body).send().await?;\n    Ok(())\n}}\n\nmacro_rules! settings {{\n    ($($(#[$meta:meta])* $name:ident : $ty:ty),* $(,)?) => {{\n        #[derive(Debug, Default, serde::Deserialize)]\n        pub struct Settings {{ $($(#[$meta])* pub $name: Option<$ty>,)* }}\n    }};\n}}\n\nsettings! {{ timeout_ms: u64, r#type: String }}\n"
                ),
            ),
            (
                "tests/client.rs".into(),
                format!(
                    "#[tokio::test]\nasync fn tracks() {{\n    let client = reqwest::Client::new();\n    let _ = client.post(\"https://{host}/sandbox\").send().await;\n}}\n"
                ),
            ),
        ],
        plain: plain_paths("src/{}.rs"),
        generated: format!("src/generated/{domain}.rs"),
    }
}

/// How ordinary code and generated stubs look in one language.
struct Shape {
    header: &'static str,
    open: &'static str,
    statements: &'static [&'static str],
    close: &'static str,
    footer: &'static str,
    generated_header: &'static str,
    generated_message: &'static str,
    generated_field: &'static str,
    generated_end: &'static str,
}

impl Shape {
    fn of(language: Language) -> Shape {
        match language {
            Language::Python => Shape {
                header: "\"\"\"Helpers of the {domain} service.\"\"\"\nimport logging\n\nlog = logging.getLogger(__name__)\n\n",
                open: "\ndef {name}(items, {b}):\n    \"\"\"Computes the {a} of a {b}.\"\"\"\n    {a} = 0\n",
                statements: &[
                    "    for value in items[{b}:{b} + {n}]:\n        {a} += value * {n}\n",
                    "    if {a} > {n}:\n        raise ValueError(f\"{a} too large: {{a}}\")\n",
                    "    log.debug(\"%s after step {n}: %d\", \"{a}\", {a})\n",
                    "    # Keep the label short.\n    label = f\"{b}-{{a}}\"\n    {a} ^= len(label)\n",
                    "    {a} = {a} % {n} if {b} else {a} + 1\n",
                ],
                close: "    return {a}\n",
                footer: "",
                generated_header: "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\nfrom google.protobuf import descriptor as _descriptor\n\n",
                generated_message: "class {M}(_message.Message):\n    __slots__ = ()",
                generated_field: "    {f}: int  # field {n}",
                generated_end: "\n",
            },
            Language::TypeScript | Language::JavaScript => Shape {
                header: "// Helpers of the {domain} service.\nimport {{ logger }} from \"./logger\";\n\n",
                open: "/** Computes the {a} of a {b}. */\nexport function {Name}(items, {b}) {\n  let {a} = 0;\n",
                statements: &[
                    "  for (const value of items.slice({b}, {b} + {n})) {\n    {a} += value * {n};\n  }\n",
                    "  if ({a} > {n}) {\n    throw new Error(`{a} too large: ${{a}}`);\n  }\n",
                    "  logger.debug(\"{a} after step {n}\", { {a} });\n",
                    "  // Keep the label short.\n  const label = `{b}-${{a}}`;\n  {a} ^= label.length;\n",
                    "  {a} = {b} ? {a} % {n} : {a} + 1;\n",
                ],
                close: "  return {a};\n}\n\n",
                footer: "",
                generated_header: "// Code generated by protoc-gen-ts. DO NOT EDIT.\n/* eslint-disable */\n\n",
                generated_message: "export interface {M} {",
                generated_field: "  /** field {n} */\n  {f}: number;",
                generated_end: "}\n",
            },
            Language::Go => Shape {
                header: "// Package helpers holds helpers of the {domain} service.\npackage helpers\n\nimport (\n\t\"fmt\"\n\t\"log\"\n)\n\n",
                open: "// {Name} computes the {a} of a {b}.\nfunc {Name}(items []int, {b} int) (int, error) {\n\t{a} := 0\n",
                statements: &[
                    "\tfor _, value := range items[{b}:] {\n\t\t{a} += value * {n}\n\t}\n",
                    "\tif {a} > {n} {\n\t\treturn 0, fmt.Errorf(\"{a} too large: %d\", {a})\n\t}\n",
                    "\tlog.Printf(\"{a} after step {n}: %d\", {a})\n",
                    "\t// Keep the label short.\n\tlabel := fmt.Sprintf(\"{b}-%d\", {a})\n\t{a} ^= len(label)\n",
                    "\tswitch {b} % {n} {\n\tcase 0:\n\t\t{a}++\n\tdefault:\n\t\t{a}--\n\t}\n",
                ],
                close: "\treturn {a}, nil\n}\n\n",
                footer: "",
                generated_header: "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage api\n\n",
                generated_message: "type {M} struct {\n\tstate protoimpl.MessageState",
                generated_field: "\t{f} int64 `protobuf:\"varint,{n},opt,name={f},proto3\" json:\"{f},omitempty\"`",
                generated_end: "}\n",
            },
            Language::Java => Shape {
                header: "package com.acme.helpers;\n\nimport java.util.List;\nimport java.util.logging.Logger;\n\n/** Helpers of the {domain} service. */\npublic final class Helpers {\n    private static final Logger LOG = Logger.getLogger(\"helpers\");\n\n",
                open: "    /** Computes the {a} of a {b}. */\n    public static long {Name}(List<Long> items, int {b}) {\n        long {a} = 0;\n",
                statements: &[
                    "        for (long value : items.subList({b}, Math.min(items.size(), {b} + {n}))) {\n            {a} += value * {n};\n        }\n",
                    "        if ({a} > {n}) {\n            throw new IllegalStateException(\"{a} too large: \" + {a});\n        }\n",
                    "        LOG.fine(\"{a} after step {n}: \" + {a});\n",
                    "        // Keep the label short.\n        String label = String.format(\"{b}-%d\", {a});\n        {a} ^= label.length();\n",
                    "        {a} = {b} > 0 ? {a} % {n} : {a} + 1;\n",
                ],
                close: "        return {a};\n    }\n\n",
                footer: "}\n",
                generated_header: "// Generated by the protocol buffer compiler.  DO NOT EDIT!\npackage com.acme.proto;\n\npublic final class Proto {\n",
                generated_message: "  public static final class {M} {",
                generated_field: "    private long {f}_; // field {n}",
                generated_end: "  }\n",
            },
            Language::Kotlin => Shape {
                header: "package com.acme.helpers\n\nimport org.slf4j.LoggerFactory\n\nprivate val log = LoggerFactory.getLogger(\"helpers\")\n\n",
                open: "/** Computes the {a} of a {b}. */\nfun {Name}(items: List<Long>, {b}: Int): Long {\n    var {a} = 0L\n",
                statements: &[
                    "    for (value in items.drop({b}).take({n})) {\n        {a} += value * {n}\n    }\n",
                    "    if ({a} > {n}) {\n        throw IllegalStateException(\"{a} too large: ${a}\")\n    }\n",
                    "    log.debug(\"{a} after step {n}: {}\", {a})\n",
                    "    // Keep the label short.\n    val label = \"{b}-${a}\"\n    {a} = {a} xor label.length.toLong()\n",
                    "    {a} = if ({b} > 0) {a} % {n} else {a} + 1\n",
                ],
                close: "    return {a}\n}\n\n",
                footer: "",
                generated_header: "// Generated by the protocol buffer compiler. DO NOT EDIT!\npackage com.acme.proto\n\n",
                generated_message: "data class {M}(",
                generated_field: "    val {f}: Long = 0, // field {n}",
                generated_end: ")\n",
            },
            Language::Ruby => Shape {
                header: "# Helpers of the {domain} service.\nmodule Helpers\n",
                open: "  # Computes the {a} of a {b}.\n  def self.{name}(items, {b})\n    {a} = 0\n",
                statements: &[
                    "    items.drop({b}).take({n}).each do |value|\n      {a} += value * {n}\n    end\n",
                    "    raise ArgumentError, \"{a} too large: #{{a}}\" if {a} > {n}\n",
                    "    Rails.logger.debug(\"{a} after step {n}: #{{a}}\")\n",
                    "    # Keep the label short.\n    label = \"{b}-#{{a}}\"\n    {a} ^= label.length\n",
                    "    {a} = {b}.positive? ? {a} % {n} : {a} + 1\n",
                ],
                close: "    {a}\n  end\n\n",
                footer: "end\n",
                generated_header: "# This file is auto-generated from the current state of the database.\nActiveRecord::Schema[7.2].define(version: 2026_11_30_000000) do\n",
                generated_message: "  create_table \"{M}\", force: :cascade do |t|",
                generated_field: "    t.bigint \"{f}\", default: {n}",
                generated_end: "  end\n",
            },
            Language::CSharp => Shape {
                header: "using System;\nusing System.Collections.Generic;\nusing System.Linq;\n\nnamespace Acme.Helpers;\n\n/// <summary>Helpers of the {domain} service.</summary>\npublic static class Helpers\n{\n",
                open: "    /// <summary>Computes the {a} of a {b}.</summary>\n    public static long {Name}(IReadOnlyList<long> items, int {b})\n    {\n        long {a} = 0;\n",
                statements: &[
                    "        foreach (var value in items.Skip({b}).Take({n}))\n        {\n            {a} += value * {n};\n        }\n",
                    "        if ({a} > {n})\n        {\n            throw new InvalidOperationException($\"{a} too large: {{a}}\");\n        }\n",
                    "        Console.WriteLine($\"{a} after step {n}: {{a}}\");\n",
                    "        // Keep the label short.\n        var label = $\"{b}-{{a}}\";\n        {a} ^= label.Length;\n",
                    "        {a} = {b} > 0 ? {a} % {n} : {a} + 1;\n",
                ],
                close: "        return {a};\n    }\n\n",
                footer: "}\n",
                generated_header: "// <auto-generated>\n//     Generated by the protocol buffer compiler.  DO NOT EDIT!\n// </auto-generated>\nnamespace Acme.Proto;\n\n",
                generated_message: "public sealed partial class {M}\n{",
                generated_field: "    public long {f} { get; set; } // field {n}",
                generated_end: "}\n",
            },
            Language::Php => Shape {
                header: "<?php\n\nnamespace Acme\\Helpers;\n\n/** Helpers of the {domain} service. */\nfinal class Helpers\n{\n",
                open: "    /** Computes the {a} of a {b}. */\n    public static function {name}(array $items, int ${b}): int\n    {\n        ${a} = 0;\n",
                statements: &[
                    "        foreach (array_slice($items, ${b}, {n}) as $value) {\n            ${a} += $value * {n};\n        }\n",
                    "        if (${a} > {n}) {\n            throw new \\RuntimeException(\"{a} too large: ${a}\");\n        }\n",
                    "        error_log(sprintf('{a} after step {n}: %d', ${a}));\n",
                    "        // Keep the label short.\n        $label = \"{b}-\" . ${a};\n        ${a} ^= strlen($label);\n",
                    "        ${a} = ${b} > 0 ? ${a} % {n} : ${a} + 1;\n",
                ],
                close: "        return ${a};\n    }\n\n",
                footer: "}\n",
                generated_header: "<?php\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n\nnamespace Acme\\Proto;\n\n",
                generated_message: "class {M}\n{",
                generated_field: "    protected ${f} = 0; // field {n}",
                generated_end: "}\n",
            },
            Language::Rust => Shape {
                header: "//! Helpers of the {domain} service.\n\nuse std::fmt::Write as _;\n\n",
                open: "/// Computes the {a} of a {b}.\npub fn {name}(items: &[u64], {b}: usize) -> Result<u64, String> {\n    let mut {a} = 0u64;\n",
                statements: &[
                    "    for value in items.iter().skip({b}).take({n}) {\n        {a} = {a}.wrapping_add(*value * {n});\n    }\n",
                    "    if {a} > {n} {\n        return Err(format!(\"{a} too large: {}\", {a}));\n    }\n",
                    "    tracing::debug!(\"{a} after step {n}: {}\", {a});\n",
                    "    // Keep the label short.\n    let mut label = String::new();\n    let _ = write!(label, \"{b}-{}\", {a});\n    {a} ^= label.len() as u64;\n",
                    "    {a} = match {b} % {n} {\n        0 => {a} + 1,\n        _ => {a}.saturating_sub(1),\n    };\n",
                ],
                close: "    Ok({a})\n}\n\n",
                footer: "",
                generated_header: "// This file is @generated by prost-build.\n",
                generated_message: "#[derive(Clone, PartialEq, ::prost::Message)]\npub struct {M} {",
                generated_field: "    #[prost(int64, tag = \"{n}\")]\n    pub {f}: i64,",
                generated_end: "}\n",
            },
        }
    }
}
