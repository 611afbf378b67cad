//! The `[serve]` section: who may use the workspace, which queues each may
//! see, and the public feedback form.
//!
//! Owned here, checked by [`build`], which adds every problem to the file's
//! error list under its key (`serve.users[1].role`), as every section does.
//! Password hashes are argon2 PHC strings, normally read from the
//! environment variable a user's `password_hash_env` names, so that the
//! file can be shared; `earshot hash-password` makes one.

use std::collections::HashSet;

use serde::Deserialize;

use crate::route::config::RouteConfig;

use crate::config::check::Errors;

/// `[serve]`: the workspace of `earshot serve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    /// Address the workspace listens on (default "127.0.0.1:8080"; `--listen` overrides it).
    listen: Option<String>,
    /// Name shown in the workspace's header (default: the pipeline's name).
    title: Option<String>,
    /// Cases per page of a queue (default 50, at most 500).
    page_size: Option<usize>,
    /// The people who may log in.
    #[serde(default)]
    users: Vec<RawUser>,
    /// Queues only some may see; a queue not listed is seen by every user.
    #[serde(default)]
    queues: Vec<RawAccess>,
    /// The public feedback form (web self-service, no login).
    public_form: Option<RawPublicForm>,
    /// With Kafka: topic of notes, assignments and contacts, shared by every serve instance (default "earshot.activity").
    activity_topic: Option<String>,
    /// How often an author may hear from the company (`[serve.contact]`, see `serve::contact`).
    contact: Option<toml::Value>,
}

/// `[[serve.users]]`: one person.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    /// Login name, shown in every status change and note the user makes.
    name: String,
    /// viewer (reads), member (acts on queues) or admin (everything, every queue).
    role: String,
    /// Environment variable holding the user's argon2 password hash (from `earshot hash-password`).
    password_hash_env: Option<String>,
    /// The hash itself, for demos only: the environment keeps it out of the file.
    password_hash: Option<String>,
}

/// `[[serve.queues]]`: who may see a queue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    /// Queue name, as in `[[route.queues]]`.
    name: String,
    /// Roles that may see it (admins always may).
    #[serde(default)]
    roles: Vec<String>,
    /// Users who may see it whatever their role.
    #[serde(default)]
    users: Vec<String>,
}

/// `[serve.public_form]`: feedback from anyone, at `/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublicForm {
    /// Turn the form on (default true once the section is there).
    enabled: Option<bool>,
    /// Brand the form is about, when the text names none.
    brand: Option<String>,
    /// Submissions accepted per client address per hour (default 5).
    per_hour: Option<u32>,
    /// Largest text accepted, in bytes (default 8000).
    max_bytes: Option<usize>,
    /// Trust the first address of `X-Forwarded-For` as the client's (behind a proxy you run; default false).
    trust_forwarded_for: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Member,
    Admin,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// argon2 PHC string; empty while `missing_env` names an unset variable.
    pub password_hash: String,
    /// The variable `password_hash_env` names, when it is not set: other
    /// commands sharing the file need not set it, `serve` refuses to start.
    pub missing_env: Option<String>,
}

impl std::fmt::Debug for User {
    // The hash stays out of logs and error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub queue: String,
    pub roles: Vec<Role>,
    pub users: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicForm {
    pub brand: Option<String>,
    pub per_hour: u32,
    pub max_bytes: usize,
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub listen: String,
    pub title: Option<String>,
    pub page_size: usize,
    pub users: Vec<User>,
    pub access: Vec<Access>,
    pub public_form: Option<PublicForm>,
    pub activity_topic: String,
    pub contact: super::contact::ContactPolicy,
}

pub const DEFAULT_ACTIVITY_TOPIC: &str = "earshot.activity";

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            listen: DEFAULT_LISTEN.into(),
            title: None,
            page_size: 50,
            users: Vec::new(),
            access: Vec::new(),
            public_form: None,
            activity_topic: DEFAULT_ACTIVITY_TOPIC.into(),
            contact: super::contact::ContactPolicy::default(),
        }
    }
}

impl ServeConfig {
    /// What keeps `serve` from starting although the file is valid: users
    /// whose hash variable is unset, as (key, message).
    pub fn unready(&self) -> Vec<(String, String)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                let var = u.missing_env.as_ref()?;
                Some((
                    format!("serve.users[{i}].password_hash_env"),
                    format!("environment variable `{var}` is not set: it must hold the argon2 hash of {}'s password (make one with `earshot hash-password`)", u.name),
                ))
            })
            .collect()
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether `user` (by name and role) may see `queue`.
    pub fn may_see(&self, name: &str, role: Role, queue: &str) -> bool {
        role == Role::Admin
            || self
                .access
                .iter()
                .find(|a| a.queue == queue)
                .is_none_or(|a| a.roles.contains(&role) || a.users.iter().any(|u| u == name))
    }
}

/// Checks the value of `[serve]` against the queues of `[route]`, reading
/// password hashes through `env`; none if anything is wrong.
pub fn build(
    raw: toml::Value,
    route: Option<&RouteConfig>,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Errors,
) -> Option<ServeConfig> {
    let before = errors.len();
    let raw: RawServe = errors.section("serve", raw)?;
    let mut err = |k: String, m: String| errors.err(k, m);
    let mut cfg = ServeConfig {
        listen: raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.into()),
        title: raw.title,
        activity_topic: raw
            .activity_topic
            .unwrap_or_else(|| DEFAULT_ACTIVITY_TOPIC.into()),
        ..ServeConfig::default()
    };
    if cfg.listen.parse::<std::net::SocketAddr>().is_err() {
        err(
            "serve.listen".into(),
            format!("`{}` is not an address such as 127.0.0.1:8080", cfg.listen),
        );
    }
    match raw.page_size {
        Some(n) if !(1..=500).contains(&n) => err(
            "serve.page_size".into(),
            format!("{n} is out of range: a whole number from 1 to 500"),
        ),
        Some(n) => cfg.page_size = n,
        None => {}
    }
    let mut names = HashSet::new();
    for (i, u) in raw.users.into_iter().enumerate() {
        let key = |f: &str| format!("serve.users[{i}].{f}");
        let name = u.name.trim().to_string();
        // The name travels in the session cookie: no spaces, `;` or `,`.
        let allowed = |c: char| c.is_alphanumeric() || "._@-".contains(c);
        if name.is_empty() || name.chars().count() > 64 || !name.chars().all(allowed) {
            err(
                key("name"),
                format!("found \"{name}\"; expected a login name of 1 to 64 letters, digits and . _ @ -"),
            );
        } else if !names.insert(name.clone()) {
            err(key("name"), format!("`{name}` is named twice"));
        }
        let role = Role::parse(&u.role).unwrap_or_else(|| {
            err(
                key("role"),
                format!("`{}` is not one of viewer, member, admin", u.role),
            );
            Role::Viewer
        });
        let mut missing_env = None;
        let hash = match (u.password_hash_env, u.password_hash) {
            (Some(var), None) => env(&var).unwrap_or_else(|| {
                missing_env = Some(var);
                String::new()
            }),
            (None, Some(h)) => h,
            (Some(_), Some(_)) => {
                err(
                    key("password_hash"),
                    "give password_hash_env or password_hash, not both".into(),
                );
                String::new()
            }
            (None, None) => {
                err(
                    key("password_hash_env"),
                    "missing: the environment variable holding the user's password hash".into(),
                );
                String::new()
            }
        };
        if !hash.is_empty() && argon2::PasswordHash::new(&hash).is_err() {
            // The value itself is never repeated: it may be a password typed
            // where its hash belongs.
            err(
                key("password_hash"),
                "not an argon2 password hash (make one with `earshot hash-password`)".into(),
            );
        }
        cfg.users.push(User {
            name,
            role,
            password_hash: hash,
            missing_env,
        });
    }
    let queues: Option<Vec<&str>> =
        route.map(|r| r.queues.iter().map(|q| q.name.as_str()).collect());
    for (i, a) in raw.queues.into_iter().enumerate() {
        let key = |f: &str| format!("serve.queues[{i}].{f}");
        match &queues {
            Some(q) if !q.contains(&a.name.as_str()) => err(
                key("name"),
                format!("no queue named `{}` in [route] ({})", a.name, q.join(", ")),
            ),
            None => err(
                key("name"),
                "queues come from [route], and the file has none".into(),
            ),
            _ => {}
        }
        let mut roles = Vec::new();
        for (j, r) in a.roles.iter().enumerate() {
            match Role::parse(r) {
                Some(r) => roles.push(r),
                None => err(
                    format!("serve.queues[{i}].roles[{j}]"),
                    format!("`{r}` is not one of viewer, member, admin"),
                ),
            }
        }
        for (j, u) in a.users.iter().enumerate() {
            if !names.contains(u) {
                err(
                    format!("serve.queues[{i}].users[{j}]"),
                    format!("no user named `{u}` in [[serve.users]]"),
                );
            }
        }
        cfg.access.push(Access {
            queue: a.name,
            roles,
            users: a.users,
        });
    }
    if let Some(f) = raw.public_form.filter(|f| f.enabled.unwrap_or(true)) {
        let per_hour = f.per_hour.unwrap_or(5);
        if per_hour == 0 || per_hour > 10_000 {
            err(
                "serve.public_form.per_hour".into(),
                format!("{per_hour} is out of range: a whole number from 1 to 10000"),
            );
        }
        let max_bytes = f.max_bytes.unwrap_or(8000);
        if !(100..=1_000_000).contains(&max_bytes) {
            err(
                "serve.public_form.max_bytes".into(),
                format!("{max_bytes} is out of range: a whole number from 100 to 1000000"),
            );
        }
        cfg.public_form = Some(PublicForm {
            brand: f.brand,
            per_hour,
            max_bytes,
            trust_forwarded_for: f.trust_forwarded_for.unwrap_or(false),
        });
    }
    if let Some(v) = raw.contact {
        if let Some(p) = super::contact::build(v, errors) {
            cfg.contact = p;
        }
    }
    (errors.len() == before).then_some(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0pS6rjO0fKz4B3mKyHpvAFVpd6jc5j7SC0MsgUAVTb8";

    fn check(text: &str) -> Result<ServeConfig, Vec<(String, String)>> {
        let env = |k: &str| (k == "PAT_HASH").then(|| HASH.to_string());
        let mut errors = Errors::default();
        build(toml::from_str(text).unwrap(), None, &env, &mut errors).ok_or_else(|| {
            errors
                .into_vec()
                .into_iter()
                .map(|e| (e.key.clone(), e.message.clone()))
                .collect()
        })
    }

    #[test]
    fn users_take_their_hash_from_the_environment() {
        let c = check(
            r#"
[[users]]
name = "pat"
role = "member"
password_hash_env = "PAT_HASH"
"#,
        )
        .unwrap();
        assert_eq!(c.users[0].role, Role::Member);
        assert_eq!(c.users[0].password_hash, HASH);
        assert!(!format!("{:?}", c.users[0]).contains("argon2"));
    }

    #[test]
    fn every_problem_is_reported_under_its_key() {
        let errors = check(
            r#"
listen = "here"
[[users]]
name = "pat"
role = "boss"
password_hash_env = "NOT_SET"
[[users]]
name = "pat"
role = "admin"
password_hash = "hunter2"
[[queues]]
name = "support"
[public_form]
per_hour = 0
"#,
        )
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "serve.listen",
                "serve.users[0].role",
                "serve.users[1].name",
                "serve.users[1].password_hash",
                "serve.queues[0].name",
                "serve.public_form.per_hour"
            ]
        );
        assert!(
            errors.iter().all(|(_, m)| !m.contains("hunter2")),
            "{errors:?}"
        );
    }

    #[test]
    fn an_unset_hash_variable_stops_serve_only() {
        let c = check(
            "[[users]]\nname = \"pat\"\nrole = \"member\"\npassword_hash_env = \"NOT_SET\"\n",
        )
        .unwrap();
        let why = c.unready();
        assert_eq!(why[0].0, "serve.users[0].password_hash_env");
        assert!(why[0].1.contains("`NOT_SET` is not set"), "{why:?}");
    }

    #[test]
    fn wrong_types_and_unknown_keys_are_told_in_the_users_terms() {
        let errors = check("page_size = \"ten\"\nusres = []\n").unwrap_err();
        let text = format!("{errors:?}");
        assert!(text.contains("serve.page_size"), "{text}");
        assert!(text.contains("whole number"), "{text}");
        assert!(text.contains("did you mean `users`"), "{text}");
        assert!(
            !text.contains("usize") && !text.contains("invalid type"),
            "{text}"
        );
    }

    #[test]
    fn a_login_name_must_fit_in_a_cookie() {
        let errors = check("[[users]]\nname = \"pat; admin\"\nrole = \"member\"\npassword_hash_env = \"PAT_HASH\"\n").unwrap_err();
        assert_eq!(errors[0].0, "serve.users[0].name", "{errors:?}");
    }
}
