//! The `earshot` command: argument parsing, logging, and turning errors into
//! exit codes (0 ok, 1 failure, 2 bad pipeline file or usage).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use earshot::classify::Classifier;
use earshot::cli;
use earshot::config::{self, ConfigErrors, Pipeline};
use earshot::pipeline::{backfill, metrics, run, Engine, Window};
use earshot::source::http::HttpClient;

#[derive(Parser)]
#[command(
    name = "earshot",
    version,
    about = "Hear what customers say about your brands: feeds and blogs in, feedback and influencer records out."
)]
struct Args {
    /// Log format: human-readable text, or JSON lines for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log filter in tracing's EnvFilter syntax ("info", "earshot=debug").
    /// This flag wins over EARSHOT_LOG, which wins over RUST_LOG; the
    /// default is "info".
    #[arg(long, global = true, env = "EARSHOT_LOG")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check a pipeline file and report every error at once.
    Validate {
        /// The pipeline file (TOML).
        #[arg(short, long)]
        pipeline: PathBuf,
    },
    /// Print, as JSON lines, the normalized items one feed or page yields.
    Items {
        /// A URL, a path, or (with -p) the id of a source of the pipeline.
        source: String,
        /// The pipeline file whose sources (by id) and [http] settings to use.
        #[arg(short, long)]
        pipeline: Option<PathBuf>,
        /// Let the SSRF guard through to this internal host, HOST:PORT,
        /// address or CIDR block, as `[http] allow_hosts` does (repeatable).
        #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
        allow_hosts: Vec<String>,
        /// Print one JSON document for the whole feed (title, link, format,
        /// encoding, well_formed, warnings, and every entry, skipped ones
        /// with the reason) instead of one line per item.
        #[arg(long)]
        feed: bool,
    },
    /// Classify JSON lines from stdin ({"id", "text", "title"?, "author"?, "url"?}).
    Classify {
        /// Pipeline whose brands to look for; without it, sentiment only.
        #[arg(short, long)]
        pipeline: Option<PathBuf>,
    },
    /// Measure sentiment, brand-query, intent and emotion accuracy on labelled sets.
    Eval {
        /// Folder holding sentiment.jsonl, brands.jsonl and brands.toml, and
        /// optionally the other sets of fixtures/eval/README.md.
        #[arg(long, default_value = "fixtures/eval")]
        dir: PathBuf,
    },
    /// Fetch every source once over a time window, deliver, and exit.
    Backfill {
        /// The pipeline file (TOML).
        #[arg(short, long)]
        pipeline: PathBuf,
        /// Earliest item time: RFC 3339, a date, or a duration ago ("7d").
        #[arg(long)]
        since: Option<String>,
        /// Latest item time (exclusive), same forms.
        #[arg(long)]
        until: Option<String>,
        /// Progress bar: shown by default only on a terminal.
        #[arg(long)]
        no_progress: bool,
    },
    /// Route the feedback topic into queues, escalate, raise spike alerts
    /// (a Kafka consumer group: start as many as there are partitions).
    Route {
        /// The pipeline file (TOML).
        #[arg(short, long)]
        pipeline: PathBuf,
        /// Name of this instance in client ids (default: the process id).
        #[arg(long)]
        instance: Option<String>,
        /// How often deadlines and spikes are checked at the least.
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        check_every: Duration,
        /// Address of /healthz and /metrics (overrides `[route] listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Print what waits in a queue, oldest first.
    Queue {
        /// Name of the queue, as in the pipeline's [[route.queues]].
        queue: String,
        /// The pipeline file (TOML).
        #[arg(short, long)]
        pipeline: PathBuf,
        /// JSON lines (the routed records) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The workspace: run the sources, route what they find into queues,
    /// and serve the pages and JSON API where people work them.
    Serve {
        /// The pipeline file (TOML), with [route] and [serve] sections.
        #[arg(short, long)]
        pipeline: PathBuf,
        /// Address to listen on (overrides [serve] listen; default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// How long to wait for polls in flight at shutdown.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        grace: Duration,
    },
    /// Read a password on stdin and print its argon2 hash, for
    /// [[serve.users]] (put it in the variable password_hash_env names).
    HashPassword,
    /// Poll every source on its schedule until SIGTERM or Ctrl-C (exit 1 if
    /// the final flush of the sink failed).
    Run {
        /// The pipeline file (TOML).
        #[arg(short, long)]
        pipeline: PathBuf,
        /// Address of /healthz and /metrics (overrides the pipeline's `listen`).
        #[arg(long)]
        listen: Option<String>,
        /// How long to wait for polls in flight at shutdown.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        grace: Duration,
    },
    /// GET a health endpoint once: exit 0 on 200, 1 otherwise with the
    /// reason on stderr (for container healthchecks; the image has no curl).
    Healthcheck {
        /// The endpoint to probe.
        #[arg(long, default_value = cli::DEFAULT_HEALTH_URL)]
        url: reqwest::Url,
        /// How long to wait for the answer.
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = args
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        // rdkafka's producer repeats "Ignored event 'Error'" every second of
        // an outage, beside earshot's own rate-limited warning of it.
        .unwrap_or_else(|| "info,rdkafka::producer::base_producer=error".to_string());
    init_logging(args.log_format, &filter);
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(dispatch(args.command, args.log_format)) {
        Ok(code) => code,
        Err(e) => {
            if let Some(cfg) = e.downcast_ref::<ConfigErrors>() {
                eprintln!("error: {cfg}");
                return ExitCode::from(2);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat, filter: &str) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn load(path: &PathBuf) -> Result<Pipeline> {
    Ok(config::load(path)?)
}

async fn dispatch(command: Command, log_format: LogFormat) -> Result<ExitCode> {
    match command {
        Command::Validate { pipeline } => {
            let p = config::validate_file(&pipeline)?;
            let classifier = p.classifier.clone();
            println!(
                "{}: ok ({} sources, {} brands, {} queries)",
                pipeline.display(),
                p.sources.len(),
                p.brands.len(),
                classifier.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Items {
            source,
            pipeline,
            allow_hosts,
            feed,
        } => {
            let p = pipeline.as_ref().map(load).transpose()?;
            let mut settings = p.as_ref().map(|p| p.http.clone()).unwrap_or_default();
            for host in &allow_hosts {
                settings
                    .allow_hosts
                    .push(host.parse().with_context(|| "--allow-host".to_string())?);
            }
            let client = HttpClient::new(&settings)?;
            let src = cli::resolve_source(&source, p.as_ref(), &client).await?;
            let mut out = std::io::stdout().lock();
            let n = match feed {
                true => cli::print_feed_report(&src, &client, &mut out).await?,
                false => cli::print_items(&src, &client, &mut out).await?,
            };
            tracing::info!(items = n, source = %src.location, "Done.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Classify { pipeline } => {
            let brands = |p: &PathBuf| config::load_brands(p).map_err(anyhow::Error::from);
            let classifier = match pipeline.as_ref().map(brands).transpose()? {
                Some(p) => p.classifier,
                None => std::sync::Arc::new(Classifier::sentiment_only()),
            };
            let bad = cli::classify_lines(
                &classifier,
                &mut std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock()),
                &mut std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
            )?;
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Healthcheck { url, timeout } => Ok(match cli::healthcheck(&url, timeout).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::FAILURE
            }
        }),
        Command::Eval { dir } => {
            print!("{}", cli::eval_report(&dir)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Backfill {
            pipeline,
            since,
            until,
            no_progress,
        } => {
            let now = chrono::Utc::now();
            let window = Window {
                since: since
                    .map(|s| cli::parse_time(&s, now))
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                until: until
                    .map(|s| cli::parse_time(&s, now))
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            };
            if let (Some(s), Some(u)) = (window.since, window.until) {
                if s >= u {
                    eprintln!(
                        "error: --since ({s}) is not before --until ({u}): the window is empty"
                    );
                    return Ok(ExitCode::from(2));
                }
            }
            let shutdown = CancellationToken::new();
            tokio::spawn(on_signal(shutdown.clone()));
            let engine = Arc::new(Engine::open(load(&pipeline)?).context("starting the pipeline")?);
            let progress = !no_progress && std::io::stderr().is_terminal();
            let summary = backfill::backfill_until(engine, window, progress, shutdown).await;
            match log_format {
                LogFormat::Text => eprint!("{}", summary.render()),
                // Log collectors want the summary as events, not a table.
                LogFormat::Json => summary.log(),
            }
            Ok(if summary.succeeded() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Route {
            pipeline,
            instance,
            check_every,
            listen,
        } => {
            let loaded = load(&pipeline)?;
            let shutdown = CancellationToken::new();
            tokio::spawn(on_signal(shutdown.clone()));
            let (route, kafka, stuck_after) = route_parts(&loaded, &pipeline)?;
            let instance = instance.unwrap_or_else(|| std::process::id().to_string());
            // With [notify], alerts are also sent, by a consumer of their own.
            let notifier = earshot::notify::kafka::spawn(&loaded, &instance, shutdown.clone())
                .context("starting the notifier")?
                .map(|task| {
                    // A notifier that stops (a topic missing) stops route too.
                    let stop = shutdown.clone();
                    tokio::spawn(async move {
                        let r = task.await;
                        stop.cancel();
                        r
                    })
                });
            let observer = earshot::route::exposed::Observer::new(stuck_after);
            let server = match listen.or_else(|| route.listen.clone()) {
                Some(addr) => Some(serve(&addr, observer.clone(), shutdown.clone()).await?),
                None => None,
            };
            let opts = earshot::route::consumer::Options {
                check_every,
                observer,
                instance,
                ..Default::default()
            };
            tracing::info!(group = %route.group, topic = %route.feedback_topic, "Routing.");
            // Disengagement alerts from the influencer topic, in a group of
            // their own; either loop failing stops the other.
            let people = {
                let (r, k, o, stop) =
                    (route.clone(), kafka.clone(), opts.clone(), shutdown.clone());
                tokio::spawn(async move {
                    let res = earshot::route::people::run(r, &k, o, stop.clone()).await;
                    if res.is_err() {
                        stop.cancel();
                    }
                    res
                })
            };
            let routed = earshot::route::consumer::run(route, &kafka, opts, shutdown.clone()).await;
            // Either stopping stops both: route without its notifier, or the
            // reverse, would leave alerts unsent or unmade.
            shutdown.cancel();
            if let Some(n) = notifier {
                n.await
                    .expect("notifier watch")
                    .context("notifier")?
                    .context("delivering notifications")?;
            }
            let people = people
                .await
                .expect("people loop")
                .context("disengagement alerts")?;
            let stats = routed.context("routing")?;
            tracing::info!(
                routed = stats.routed,
                repeats = stats.repeats,
                statuses = stats.statuses,
                immediate = stats.immediate,
                deadline = stats.deadline,
                spikes = stats.spikes,
                disengagement = people.disengagement,
                bad = stats.bad + people.bad,
                "Stopped."
            );
            if let Some(s) = server {
                s.await.ok();
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Queue {
            queue,
            pipeline,
            json,
        } => {
            let (route, kafka, _) = route_settings(&pipeline)?;
            let Some(q) = route.queue(&queue) else {
                let names: Vec<&str> = route.queues.iter().map(|q| q.name.as_str()).collect();
                anyhow::bail!(
                    "no queue `{queue}` in {} (queues: {})",
                    pipeline.display(),
                    names.join(", ")
                );
            };
            let cfg = earshot::route::consumer::consumer_config(&kafka, "earshot-queue");
            let (topic, status) = (q.topic.clone(), route.status_topic.clone());
            let waiting = tokio::task::spawn_blocking(move || {
                earshot::route::queue::waiting(&cfg, &topic, &status)
            })
            .await??;
            if json {
                for r in &waiting {
                    println!("{}", serde_json::to_string(r)?);
                }
            } else {
                print!(
                    "{}",
                    earshot::route::queue::render(&waiting, chrono::Utc::now())
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            pipeline,
            listen,
            grace,
        } => {
            let p = load(&pipeline)?;
            let shutdown = CancellationToken::new();
            tokio::spawn(on_signal(shutdown.clone()));
            let opts = cli::serve::Options {
                listen,
                grace,
                session_key: std::env::var("EARSHOT_SESSION_KEY").ok(),
                api_token: std::env::var("EARSHOT_API_TOKEN").ok(),
            };
            cli::serve::serve(p, opts, shutdown).await?;
            tracing::info!("Stopped.");
            Ok(ExitCode::SUCCESS)
        }
        Command::HashPassword => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = line.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "no password on stdin");
            println!(
                "{}",
                earshot::serve::auth::hash_password(password).map_err(anyhow::Error::msg)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            pipeline,
            listen,
            grace,
        } => {
            let p = load(&pipeline)?;
            let listen = listen.or_else(|| p.listen.clone());
            let engine = Arc::new(Engine::open(p).context("starting the pipeline")?);
            let shutdown = CancellationToken::new();
            tokio::spawn(on_signal(shutdown.clone()));
            let server = match listen {
                Some(addr) => {
                    let exposed =
                        metrics::Served::new(engine.metrics.clone(), engine.health.clone());
                    Some(serve(&addr, exposed, shutdown.clone()).await?)
                }
                None => None,
            };
            let flushed = run::run(engine, shutdown, grace).await;
            if let Some(s) = server {
                s.await.ok();
            }
            // Records still queued when the flush failed are lost to this
            // process (their items were not marked seen): say so by the code.
            flushed.context("flushing the sink at shutdown")?;
            tracing::info!("Stopped.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Binds `addr` and serves `/healthz` and `/metrics` of `exposed` on it
/// until `shutdown`.
async fn serve(
    addr: &str,
    exposed: impl earshot::pipeline::exposition::Exposed,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr} for /metrics"))?;
    tracing::info!(addr = %listener.local_addr()?, "Serving /healthz and /metrics.");
    Ok(tokio::spawn(earshot::pipeline::exposition::serve(
        listener, exposed, shutdown,
    )))
}

/// The `[route]` section and the Kafka connection `route` and `queue` use,
/// and how long output may wait before `/healthz` says route is stuck.
fn route_settings(
    path: &PathBuf,
) -> Result<(
    earshot::route::config::RouteConfig,
    config::KafkaConfig,
    Duration,
)> {
    route_parts(&load(path)?, path)
}

/// [`route_settings`] of a pipeline already loaded.
fn route_parts(
    p: &config::Pipeline,
    path: &Path,
) -> Result<(
    earshot::route::config::RouteConfig,
    config::KafkaConfig,
    Duration,
)> {
    let stuck_after = p.delivery.stuck_after;
    let kafka = match &p.sink {
        config::SinkConfig::Kafka(k) => k.clone(),
        _ => anyhow::bail!(
            "{}: route reads Kafka: the pipeline's [sink] must be type = \"kafka\"",
            path.display()
        ),
    };
    let route = p
        .route
        .clone()
        .with_context(|| format!("{}: no [route] section (queues and rules)", path.display()))?;
    Ok((route, kafka, stuck_after))
}

/// Cancels `token` on SIGTERM or Ctrl-C. The handlers are installed before
/// this returns, not when the future is first polled, so that a signal sent
/// at any moment after the call is caught rather than killing the process.
fn on_signal(token: CancellationToken) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).expect("SIGINT handler"),
            signal(SignalKind::terminate()).expect("SIGTERM handler"),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut int, mut term) = handlers;
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.ok();
        tracing::info!("Signal received.");
        token.cancel();
    }
}
