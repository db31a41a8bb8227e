//! Operator commands (`server user …`, `server dead-letters …`), as Mastodon's tootctl and
//! GoToSocial's admin commands offer. They go through the same backend rules as the web forms.

use std::io::BufRead;

use anyhow::{anyhow, bail};
use app::{
    backend::{
        accounts::{self, SignUp},
        api_keys,
        federation::{delivery, servers},
        Backend,
    },
    error::AppError,
};

use crate::{
    cli::{ApiKeyCommand, DeadLetterCommand, FederationCommand, UserCommand},
    config::Config,
    database::Database,
};

pub async fn api_key(config: Config, command: ApiKeyCommand) -> anyhow::Result<()> {
    let database = Database::open_for_command(&config).await?;
    let result = async {
        match command {
            ApiKeyCommand::Create { user, name } => {
                let user_id = accounts::local_user_id(&database.pool, &user)
                    .await
                    .map_err(|error| match error {
                        AppError::NotFound => {
                            anyhow!("there is no local user @{}", user.trim_start_matches('@'))
                        }
                        other => explain(other),
                    })?;
                let scopes = api_keys::Scopes::parse(api_keys::ALL_SCOPES).map_err(explain)?;
                let (key, secret) =
                    api_keys::create(&database.pool, Some(user_id), &name, &scopes, None)
                        .await
                        .map_err(|error| match error {
                            AppError::Invalid(errors) => anyhow!(
                                "--name: {}",
                                errors
                                    .iter()
                                    .map(|e| e.message.as_str())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                            other => explain(other),
                        })?;
                eprintln!(
                    "created key {:?} for @{} ({}); it is shown only now:",
                    key.name,
                    user.trim_start_matches('@'),
                    key.scopes
                );
                println!("{secret}");
            }
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    database.close().await;
    result
}

pub async fn dead_letters(config: Config, command: DeadLetterCommand) -> anyhow::Result<()> {
    match &command {
        DeadLetterCommand::Replay { ids, all: false } if ids.is_empty() => {
            bail!("name the dead letters to replay, or pass --all")
        }
        DeadLetterCommand::Purge {
            older_than_days: None,
            all: false,
        } => bail!("pass --older-than-days N, or --all"),
        _ => {}
    }
    let database = Database::open_for_command(&config).await?;
    let backend = Backend::new(
        database.pool.clone(),
        config.public_url.clone(),
        &config.federation,
    )
    .map_err(anyhow::Error::msg)?;
    let result = async {
        match command {
            DeadLetterCommand::List => {
                let letters = delivery::dead_letters(&backend).await?;
                println!(
                    "{:<36}  {:<9}  {:>8}  {:<17}  target / last error",
                    "id", "type", "attempts", "last attempt"
                );
                for letter in &letters {
                    println!(
                        "{:<36}  {:<9}  {:>8}  {:<17}  {}\n{:>77}{}",
                        letter.id,
                        letter.event_type,
                        letter.attempts,
                        letter.last_attempt_at.format("%Y-%m-%d %H:%M"),
                        letter.target_url.as_deref().unwrap_or("-"),
                        "",
                        letter.error
                    );
                }
                println!("{} dead letter(s)", letters.len());
            }
            DeadLetterCommand::Replay { ids, .. } => {
                let queued = delivery::replay(&backend, &ids).await?;
                println!("queued {queued} delivery(ies) again");
            }
            DeadLetterCommand::Purge {
                older_than_days, ..
            } => {
                let age = older_than_days.map(|days| chrono::Duration::days(days.into()));
                let purged = delivery::purge(&backend, age).await?;
                println!("deleted {purged} dead letter(s)");
            }
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    database.close().await;
    result
}

pub async fn federation(config: Config, command: FederationCommand) -> anyhow::Result<()> {
    let database = Database::open_for_command(&config).await?;
    let result = async {
        match command {
            FederationCommand::Status => {
                let servers = servers::status(&database.pool).await?;
                let at = |time: Option<chrono::DateTime<chrono::Utc>>| {
                    time.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                };
                println!(
                    "{:<32}  {:<11}  {:<16}  {:>8}  {:<16}  {:>6}  {:>4}  {:>7}",
                    "server", "state", "failing since", "failures", "last success", "queued", "dead", "dropped"
                );
                for server in &servers {
                    let state = match (server.unavailable_since, server.failing_since) {
                        (Some(_), _) => "unavailable",
                        (None, Some(_)) => "failing",
                        (None, None) => "available",
                    };
                    println!(
                        "{:<32}  {:<11}  {:<16}  {:>8}  {:<16}  {:>6}  {:>4}  {:>7}",
                        server.host,
                        state,
                        at(server.failing_since),
                        server.failures,
                        at(server.last_success_at),
                        server.queued,
                        server.dead,
                        server.dropped
                    );
                }
                let queued: i64 = servers.iter().map(|s| s.queued).sum();
                let dead: i64 = servers.iter().map(|s| s.dead).sum();
                let down = servers.iter().filter(|s| s.unavailable_since.is_some()).count();
                println!(
                    "{} server(s), {down} unavailable; {queued} delivery(ies) queued; {dead} dead letter(s) (server dead-letters list)",
                    servers.len()
                );
            }
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    database.close().await;
    result
}

pub async fn user(config: Config, command: UserCommand) -> anyhow::Result<()> {
    // Checked before touching the database.
    if let UserCommand::Create {
        password_stdin: false,
        ..
    } = command
    {
        bail!("pass --password-stdin and type the password on standard input (it is never taken from the command line)");
    }
    let database = Database::open_for_command(&config).await?;
    let result = run(&database, command).await;
    database.close().await;
    result
}

async fn run(database: &Database, command: UserCommand) -> anyhow::Result<()> {
    let pool = &database.pool;
    match command {
        UserCommand::Create {
            username,
            email,
            admin,
            ..
        } => {
            let password = read_password()?;
            let mut connection = pool.acquire().await?;
            let account = accounts::create(
                &mut connection,
                SignUp {
                    username,
                    email,
                    password,
                    is_admin: admin,
                },
            )
            .await
            .map_err(explain)?;
            println!(
                "created @{} <{}>{}",
                account.username,
                account.email,
                if account.is_admin { " (admin)" } else { "" }
            );
        }
        UserCommand::List => {
            let accounts = accounts::list(pool).await.map_err(explain)?;
            println!(
                "{:<32}  {:<40}  {:<5}  created",
                "username", "email", "admin"
            );
            for account in accounts {
                println!(
                    "{:<32}  {:<40}  {:<5}  {}",
                    account.username,
                    account.email,
                    if account.is_admin { "yes" } else { "no" },
                    account.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        UserCommand::Delete { username } => {
            let account = accounts::delete(pool, &username)
                .await
                .map_err(|error| match error {
                    AppError::NotFound => anyhow!(
                        "there is no local user @{}",
                        username.trim_start_matches('@')
                    ),
                    other => explain(other),
                })?;
            println!("deleted @{}", account.username);
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| anyhow!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Names the command-line option behind each refused field.
fn explain(error: AppError) -> anyhow::Error {
    match error {
        AppError::Invalid(errors) => anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| {
                    let option = match e.field.as_str() {
                        "password" => "--password-stdin".to_owned(),
                        field => format!("--{field}"),
                    };
                    format!("{option}: {}", e.message)
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow!("{other}"),
    }
}
