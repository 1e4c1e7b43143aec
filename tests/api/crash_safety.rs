//! Crash safety, measured: the app process is SIGKILLed while users create access tokens and BI
//! tools read a feed, then restarted on the same `DATA_DIR`. What a user was shown must hold
//! (a token shown on its success page authenticates), what was refused must not exist, the
//! database must be intact and the 25-token limit must still hold.
//!
//! The kill is triggered by progress (after a number of success pages), never by a timer, so
//! the test does not depend on how fast the machine is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use jira_bi_connector::db::schema::access_tokens;
use jira_emulator::{DatasetConfig, Emulator, EmulatorConfig};

use crate::support::app_process::AppProcess;

const TAB: &str = "/app/tokens/access";
const WORKERS: usize = 4;
const ATTEMPTS_PER_WORKER: usize = 10;
/// Success pages seen before the kill: below the limit, so creates are still being written.
const KILL_AFTER_CREATED: usize = 10;

/// What one create request got back.
#[derive(Debug)]
enum Outcome {
    /// The success page, showing this token.
    Created { label: String, token: String },
    /// A complete answer that is not a success page (e.g. 409 at the limit).
    Refused { label: String, status: u16 },
    /// No complete answer: the process died first. The token may or may not have been stored.
    Lost { label: String },
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// A browser inside the Jira iframe: the session token from a page load.
#[derive(Clone)]
struct User {
    http: reqwest::Client,
    session: String,
}

impl User {
    async fn sign_in(emulator: &Emulator) -> User {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = http
            .get(emulator.page_url(0, 0).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let session = url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .find(|(name, _)| name == "session")
            .map(|(_, value)| value.into_owned())
            .expect("a session token");
        User { http, session }
    }

    fn url(&self, app: &str, path: &str) -> String {
        format!("{app}{path}?session={}", self.session)
    }

    async fn page(&self, app: &str, path: &str) -> Result<String, reqwest::Error> {
        self.http
            .get(self.url(app, path))
            .send()
            .await?
            .text()
            .await
    }

    async fn post(
        &self,
        app: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.http.post(self.url(app, path)).form(form).send().await
    }

    /// Opens the Access Token tab and submits the create form with `label`.
    async fn create_token(&self, app: &str, label: &str) -> Outcome {
        let lost = || Outcome::Lost {
            label: label.to_owned(),
        };
        let Ok(html) = self.page(app, TAB).await else {
            return lost();
        };
        let Some(form_id) = input_value(&html, "form_id") else {
            return lost();
        };
        let form = [
            ("form_id", form_id.as_str()),
            ("label", label),
            ("expires_on", ""),
        ];
        let Ok(response) = self.post(app, TAB, &form).await else {
            return lost();
        };
        let status = response.status().as_u16();
        let Ok(body) = response.text().await else {
            return lost();
        };
        match (status, token_in(&body)) {
            (201, Some(token)) => Outcome::Created {
                label: label.to_owned(),
                token,
            },
            (201, None) => lost(),
            _ => Outcome::Refused {
                label: label.to_owned(),
                status,
            },
        }
    }
}

fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// `jbc_` followed by 61 letters and digits, as the success page shows it.
fn token_in(html: &str) -> Option<String> {
    html.match_indices("jbc_").find_map(|(start, _)| {
        let candidate = html.get(start..start + 65)?;
        candidate[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
            .then(|| candidate.to_owned())
    })
}

async fn whoami_status(app: &AppProcess, token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/feed/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the restarted app answers")
        .status()
        .as_u16()
}

fn stored_labels(db: &std::path::Path) -> Vec<String> {
    let mut conn = SqliteConnection::establish(&db.display().to_string()).unwrap();
    access_tokens::table
        .select(access_tokens::label)
        .load(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn after_a_sigkill_during_token_creation_and_feed_reads_what_users_were_shown_still_holds() {
    // Arrange: one site with the app installed, a user with a saved Jira API token, a data
    // source and an access token the BI tool reads the feed with.
    let emulator = Emulator::start(EmulatorConfig {
        site_ports: vec![0],
        dataset: DatasetConfig {
            issues: 300,
            seed: 7,
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let db_path = data_dir.join("app.sqlite3");
    let mut app = AppProcess::start(&data_dir, dir.path(), "before-crash.log", &emulator).await;
    emulator
        .install(0)
        .await
        .expect("the emulator installs the app");
    let user = User::sign_in(&emulator).await;
    let person = &emulator.sites()[0].users[0];
    let saved = user
        .post(
            &app.base_url,
            "/app/tokens/jira",
            &[("email", &person.email), ("api_token", &person.api_token)],
        )
        .await
        .unwrap();
    assert_eq!(saved.status(), 303, "the Jira API token is saved");
    let html = user
        .page(&app.base_url, "/app/datasources/new")
        .await
        .unwrap();
    let form_id = input_value(&html, "form_id").unwrap();
    let created = user
        .post(
            &app.base_url,
            "/app/datasources",
            &[
                ("form_id", form_id.as_str()),
                ("name", "Everything"),
                ("jql", "project in (ALPHA, BETA, OPS, DATA)"),
                ("fields", "customfield_10030"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(created.status(), 303, "the data source is created");
    let feed_path = format!(
        "{}/csv",
        created.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .replace("/app/datasources/", "/feed/")
    );
    let Outcome::Created {
        token: reader_token,
        ..
    } = user.create_token(&app.base_url, "BI tool").await
    else {
        panic!("the reader's token is created");
    };

    // Act: creators and feed readers run; the process is killed once enough success pages
    // came back, with more creates and reads in flight.
    let created_count = Arc::new(AtomicUsize::new(0));
    let reads_done = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (url, token, reads_done) = (
            format!("{}{feed_path}", app.base_url),
            reader_token.clone(),
            reads_done.clone(),
        );
        readers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut interrupted = 0;
            for _ in 0..10_000 {
                let read = async {
                    let response = http.get(&url).bearer_auth(&token).send().await?;
                    let status = response.status();
                    response.bytes().await.map(|body| (status, body))
                };
                match read.await {
                    Ok((status, body)) => {
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        reads_done.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => {
                        interrupted += 1;
                        break;
                    }
                }
            }
            interrupted
        }));
    }
    // The first read completes before creates start, so reads are in flight all along.
    while reads_done.load(Ordering::SeqCst) == 0
        && !readers.iter().all(tokio::task::JoinHandle::is_finished)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut creators = Vec::new();
    for worker in 0..WORKERS {
        let (user, base, created_count) =
            (user.clone(), app.base_url.clone(), created_count.clone());
        creators.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for attempt in 0..ATTEMPTS_PER_WORKER {
                // Every third create repeats the previous label in capitals: a refusal (labels
                // are unique regardless of case) in the middle of the writes.
                let label = if attempt % 3 == 2 {
                    format!("CRASH {worker}-{}", attempt - 1)
                } else {
                    format!("crash {worker}-{attempt}")
                };
                let outcome = user.create_token(&base, &label).await;
                let lost = matches!(outcome, Outcome::Lost { .. });
                if matches!(outcome, Outcome::Created { .. }) {
                    created_count.fetch_add(1, Ordering::SeqCst);
                }
                outcomes.push(outcome);
                if lost {
                    break;
                }
            }
            outcomes
        }));
    }
    // Ends by progress, or when the creators have stopped (then the asserts below still hold,
    // with less in flight).
    while created_count.load(Ordering::SeqCst) < KILL_AFTER_CREATED
        && !creators.iter().all(tokio::task::JoinHandle::is_finished)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let killed_with_created = created_count.load(Ordering::SeqCst);
    app.kill();
    let mut outcomes = Vec::new();
    for creator in creators {
        outcomes.extend(creator.await.unwrap());
    }
    let mut reads_interrupted = 0;
    for reader in readers {
        reads_interrupted += reader.await.unwrap();
    }

    // Assert: the files the crash left are intact, before anything else opens them.
    let mut conn = SqliteConnection::establish(&db_path.display().to_string()).unwrap();
    let checks: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    let checks: Vec<&str> = checks.iter().map(|c| c.integrity_check.as_str()).collect();
    assert_eq!(checks, ["ok"]);
    drop(conn);

    let app = AppProcess::start(&data_dir, dir.path(), "after-restart.log", &emulator).await;
    let stored = stored_labels(&db_path);
    let (mut shown, mut refused, mut lost) = (Vec::new(), Vec::new(), Vec::new());
    for outcome in &outcomes {
        match outcome {
            Outcome::Created { label, token } => shown.push((label, token)),
            Outcome::Refused { label, status } => refused.push((label, *status)),
            Outcome::Lost { label } => lost.push(label),
        }
    }
    for (label, token) in &shown {
        assert!(
            stored.contains(label),
            "{label} was shown but is not stored"
        );
        assert_eq!(
            whoami_status(&app, token).await,
            200,
            "{label} authenticates"
        );
    }
    for (label, status) in &refused {
        assert!(
            !stored.contains(label),
            "{label} was refused ({status}) but is stored"
        );
    }
    let lost_but_stored = lost.iter().filter(|label| stored.contains(label)).count();
    // Every stored token is the reader's, one shown, or one whose answer the crash swallowed.
    assert_eq!(
        stored.len(),
        1 + shown.len() + lost_but_stored,
        "{stored:?}"
    );
    assert!(stored.len() <= 25);
    assert_eq!(whoami_status(&app, &reader_token).await, 200);
    let feed = reqwest::Client::new()
        .get(app.url(&feed_path))
        .bearer_auth(&reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200, "the feed reads after the restart");

    // The limit still holds: fill up to 25 through the page, then the next one is refused.
    for n in stored.len()..25 {
        let outcome = user
            .create_token(&app.base_url, &format!("after {n}"))
            .await;
        assert!(matches!(outcome, Outcome::Created { .. }), "{outcome:?}");
    }
    let over = user.create_token(&app.base_url, "one too many").await;
    assert!(
        matches!(over, Outcome::Refused { status: 409, .. }),
        "{over:?}"
    );
    assert_eq!(stored_labels(&db_path).len(), 25);

    eprintln!(
        "crash safety: killed after {killed_with_created} success pages; {} creates shown, \
         {} refused, {} unanswered ({} of them stored); {} feed reads completed, {} cut by the kill",
        shown.len(),
        refused.len(),
        lost.len(),
        lost_but_stored,
        reads_done.load(Ordering::SeqCst),
        reads_interrupted
    );
}
