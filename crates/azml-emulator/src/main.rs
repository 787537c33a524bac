//! `azml-emulator`: runs the local Azure emulator until Ctrl-C or SIGTERM.
//!
//! Prints `export NAME=value` lines (the same variables as `Emulator::env()`) so that
//! `eval "$(azml-emulator … &)"`-style setups and humans can point clients at it.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use azml_emulator::{Emulator, EmulatorConfig, FaultRule, Latency, ThrottleConfig};

const USAGE: &str = "usage: azml-emulator [--port 8443] [--host 127.0.0.1] [--tls] \
[--latency instant|fast|realistic] [--time-scale F] [--page-size N] [--state PATH] \
[--throttle on|off|scale=F] [--fault SPEC]... [--extra-subscription ID]... \
[--unregistered NAMESPACE]...

  --fault SPEC   a JSON rule, or key=value pairs separated by ';':
                 method=PUT;path=REGEX;prefix=/subscriptions;every=N;rate=F;seed=N;count=N
                 and one action: status=503[;retry_after=S;code=C;message=M] | reset |
                 delay_ms=N | fail_operation[;code=C;message=M]
  --unregistered NAMESPACE   start with this resource provider not registered
                 (e.g. Microsoft.MachineLearningServices): its types answer 409
                 MissingSubscriptionRegistration until POST .../providers/NS/register
  Admin API (loopback only): URL/_emulator/faults, /_emulator/journal,
  /_emulator/clock/advance, /_emulator/state, /_emulator/servicePrincipals,
  /_emulator/providers[/NS/register|unregister]";

fn parse_args(args: &[String]) -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig::default();
    let mut host: IpAddr = config.bind.ip();
    let mut port: u16 = 8443;
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag, None),
        };
        let mut value = || -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--port" => {
                let v = value()?;
                port = v.parse().map_err(|_| format!("invalid port '{v}'"))?;
            }
            "--host" => {
                let v = value()?;
                host = if v == "localhost" {
                    IpAddr::from([127, 0, 0, 1])
                } else {
                    v.parse()
                        .map_err(|_| format!("invalid host '{v}': give an IP address"))?
                };
            }
            "--tls" => config.tls = true,
            "--latency" => config.latency = value()?.parse::<Latency>()?,
            "--time-scale" => {
                let v = value()?;
                config.time_scale = v
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| format!("invalid time scale '{v}': give a number >= 0"))?;
            }
            "--page-size" => {
                let v = value()?;
                config.page_size = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("invalid page size '{v}': give an integer >= 1"))?;
            }
            // `--state` is the Python front's spelling (PYTHON-API.md); both are accepted.
            "--state" | "--state-file" => {
                let v = value()?;
                if v.is_empty() {
                    return Err(format!("{name} needs a path"));
                }
                config.state_file = Some(v.into());
            }
            "--throttle" => config.throttling = Some(value()?.parse::<ThrottleConfig>()?),
            "--fault" => config.faults.push(FaultRule::parse_spec(&value()?)?),
            // Served besides the main subscription, with their own resources.
            "--extra-subscription" => config.extra_subscriptions.push(value()?),
            "--unregistered" => {
                let v = value()?;
                if v.trim().is_empty() {
                    return Err(format!("{name} needs a namespace"));
                }
                config.unregistered.push(v);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
        i += 1;
    }
    config.bind = SocketAddr::new(host, port);
    Ok(config)
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("azml-emulator: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("azml-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let bind = config.bind;
        let emulator = match Emulator::start(config).await {
            Ok(e) => e,
            // A bad state file or option is not a listening problem: say what it is.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
                ) =>
            {
                eprintln!("azml-emulator: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("azml-emulator: cannot listen on {bind}: {e}");
                return ExitCode::FAILURE;
            }
        };
        {
            let mut out = std::io::stdout().lock();
            for (name, value) in emulator.env() {
                let _ = writeln!(out, "export {name}={}", shell_quote(&value));
            }
            let _ = out.flush();
        }
        eprintln!(
            "azml-emulator: serving on {} (Ctrl-C to stop)",
            emulator.url()
        );
        shutdown_signal().await;
        emulator.stop(Duration::from_secs(5)).await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_flags() {
        let c = parse_args(&args(
            "--port 0 --host 127.0.0.1 --tls --latency instant --time-scale 0.5 --page-size 3",
        ))
        .unwrap();
        assert_eq!(c.bind, "127.0.0.1:0".parse().unwrap());
        assert!(c.tls);
        assert_eq!(c.latency, Latency::Instant);
        assert_eq!(c.time_scale, 0.5);
        assert_eq!(c.page_size, 3);
        let d = parse_args(&[]).unwrap();
        assert_eq!(d.bind.port(), 8443);
        assert!(parse_args(&args("--latency slow")).is_err());
        assert!(parse_args(&args("--page-size 0")).is_err());
        assert!(parse_args(&args("--port")).is_err());
        assert!(parse_args(&args("--bogus")).is_err());
        let u = parse_args(&args(
            "--unregistered Microsoft.Storage --unregistered=Microsoft.KeyVault",
        ))
        .unwrap();
        assert_eq!(u.unregistered, ["Microsoft.Storage", "Microsoft.KeyVault"]);
        assert!(parse_args(&args("--unregistered")).is_err());
    }

    #[test]
    fn parses_throttle_fault_and_state() {
        let c = parse_args(&args(
            "--throttle scale=0.5 --fault method=PUT;every=2;status=503 --fault prefix=/x;reset \
             --state-file /tmp/s.json",
        ))
        .unwrap();
        let t = c.throttling.unwrap();
        assert!(t.enabled);
        assert_eq!(t.reads.capacity, 125.0);
        assert_eq!(c.faults.len(), 2);
        assert_eq!(c.faults[0].every_nth, Some(2));
        assert_eq!(c.state_file.unwrap().to_str(), Some("/tmp/s.json"));
        let c = parse_args(&args("--state /tmp/t.json")).unwrap();
        assert_eq!(c.state_file.unwrap().to_str(), Some("/tmp/t.json"));
        let c = parse_args(&args("--extra-subscription a --extra-subscription b")).unwrap();
        assert_eq!(c.extra_subscriptions, ["a", "b"]);
        assert!(
            !parse_args(&args("--throttle off"))
                .unwrap()
                .throttling
                .unwrap()
                .enabled
        );
        assert!(parse_args(&args("--throttle sometimes")).is_err());
        assert!(parse_args(&args("--fault status=200")).is_err());
        assert!(parse_args(&args("--fault path=(;reset")).is_err());
        assert!(parse_args(&[]).unwrap().throttling.is_none());
    }

    #[test]
    fn quotes() {
        assert_eq!(
            shell_quote("http://127.0.0.1:8443"),
            "http://127.0.0.1:8443"
        );
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
    }
}
