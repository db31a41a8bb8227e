//! `server backup` and `server restore`: the database in PostgreSQL's custom dump format,
//! made with the system's `pg_dump` (one consistent snapshot, so it may run while the
//! server serves) and read back with `pg_restore`. There are no media files yet; when
//! there are, they belong in the backup too.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{anyhow, bail};
use tokio::process::Command;

use crate::{
    config::Config,
    database::{embedded::client_program, Database, Sharing},
};

/// Writes the whole database to `output` (through a temporary file beside it, so a
/// failed backup never leaves a truncated file under the chosen name).
pub async fn backup(config: Config, output: PathBuf) -> anyhow::Result<()> {
    let partial = partial_name(&output);
    let database = Database::connect(&config, Sharing::Attach).await?;
    let (target, _) = database.tool_arguments(&config).await;
    let mut dump = Command::new(client_program("pg_dump"));
    dump.args(["--format=custom", "--no-owner", "--file"])
        .arg(&partial)
        .args(&target);
    let result = run(dump, "pg_dump").await;
    // The pool first, so that stopping a cluster we started ends no session of ours.
    database.close().await;
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, &output)
        .map_err(|e| anyhow!("cannot move the backup to {}: {e}", output.display()))?;
    let size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up the database to {} ({size} bytes)",
        output.display()
    );
    Ok(())
}

/// Loads a backup into the configured database. An empty database (a new DATA_DIR) is
/// filled; one that already holds the schema is replaced only with `force`.
pub async fn restore(config: Config, file: PathBuf, force: bool) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a backup file", file.display());
    }
    let database = Database::connect(&config, Sharing::Attach).await?;
    let (target, attached) = database.tool_arguments(&config).await;
    let checked = async {
        if attached {
            bail!(
                "a server is running on {}; stop it before restoring",
                config.data_dir.display()
            );
        }
        let holds_data: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')",
        )
        .fetch_one(&database.pool)
        .await?;
        if holds_data && !force {
            bail!(
                "the database already holds data; restore into an empty DATA_DIR (or database), \
                 or pass --force to replace what is there with the backup"
            );
        }
        Ok(holds_data)
    }
    .await;
    // Nothing of ours may hold a table pg_restore replaces.
    database.pool.close().await;
    let result = match checked {
        Ok(replace) => {
            let mut load = Command::new(client_program("pg_restore"));
            load.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ]);
            if replace {
                load.args(["--clean", "--if-exists"]);
            }
            load.args(&target).arg(&file);
            run(load, "pg_restore").await
        }
        Err(error) => Err(error),
    };
    database.close().await;
    result?;
    println!(
        "restored the database from {}; start the server to apply any newer migrations",
        file.display()
    );
    Ok(())
}

fn partial_name(output: &Path) -> PathBuf {
    let mut name: OsString = output.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Runs a PostgreSQL tool; its complaints become the error.
async fn run(mut command: Command, name: &str) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| {
            anyhow!("cannot run {name}: {e}; install the PostgreSQL client tools (apt-get install postgresql-client-15) or set PG_BIN_DIR")
        })?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let said = said.trim().lines().collect::<Vec<_>>().join(" | ");
    bail!("{name} failed ({}): {said}", output.status)
}
