//! Both fakes, seeded with a [`World`], and their users in a form two runs can be compared by.

use crate::world::World;
use std::collections::BTreeMap;
use std::time::Duration;
use testkit::{
    FakeGraph, FakeHuma, FaultRule, GraphConfig, GraphUser, HumaConfig, HumaUser, RequestCounts,
    SeedError, WriteBudget,
};

/// How the two fakes behave.
#[derive(Debug, Clone)]
pub struct FakeSettings {
    /// Added to every answer of both fakes.
    pub latency: Duration,
    /// The fake Graph's write budget.
    pub write_budget: WriteBudget,
    /// Fault rules of the fake Huma.
    pub huma_faults: Vec<FaultRule>,
    /// Fault rules of the fake Graph.
    pub graph_faults: Vec<FaultRule>,
    /// Seed of the random streams rate-based faults draw from.
    pub fault_seed: u64,
    /// Access tokens of both fakes stop working after this many requests.
    pub token_max_uses: Option<u64>,
}

impl Default for FakeSettings {
    /// No latency, no faults, Graph's real write budget, tokens that last.
    fn default() -> Self {
        FakeSettings {
            latency: Duration::ZERO,
            write_budget: WriteBudget::default(),
            huma_faults: Vec::new(),
            graph_faults: Vec::new(),
            fault_seed: 7,
            token_max_uses: None,
        }
    }
}

/// Where the clients find the fakes (plain strings, so a child process can be told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The fake Huma's base URL.
    pub huma: String,
    /// The fake Graph's base URL (for both Graph and login).
    pub graph: String,
}

/// A running fake Huma and fake Graph.
#[derive(Debug)]
pub struct Fakes {
    /// The fake Huma.
    pub huma: FakeHuma,
    /// The fake Graph.
    pub graph: FakeGraph,
}

impl Fakes {
    /// Starts both fakes, empty.
    pub async fn start(settings: &FakeSettings) -> Fakes {
        let huma = FakeHuma::start(HumaConfig {
            latency: settings.latency,
            faults: settings.huma_faults.clone(),
            fault_seed: settings.fault_seed,
            token_max_uses: settings.token_max_uses,
            ..HumaConfig::default()
        })
        .await;
        let graph = FakeGraph::start(GraphConfig {
            latency: settings.latency,
            faults: settings.graph_faults.clone(),
            fault_seed: settings.fault_seed.wrapping_add(1),
            token_max_uses: settings.token_max_uses,
            write_budget: settings.write_budget,
            ..GraphConfig::default()
        })
        .await;
        Fakes { huma, graph }
    }

    /// Seeds both sides of `world` (seeding makes no requests and is not counted).
    ///
    /// # Errors
    /// An email or user principal name seeded twice.
    pub fn seed(&self, world: &World) -> Result<(), SeedError> {
        self.huma.insert_users(world.hr.iter().cloned())?;
        self.graph.insert_users(world.idp.iter().cloned())?;
        Ok(())
    }

    /// Where the clients find the fakes.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints { huma: self.huma.uri(), graph: self.graph.uri() }
    }

    /// Both fakes' counters: Huma's, then Graph's.
    pub fn counts(&self) -> (RequestCounts, RequestCounts) {
        (self.huma.counts(), self.graph.counts())
    }

    /// Sets both fakes' counters back to zero.
    pub fn reset_counts(&self) {
        self.huma.reset_counts();
        self.graph.reset_counts();
    }

    /// Sets both fakes' latency.
    pub fn set_latency(&self, latency: Duration) {
        self.huma.set_latency(latency);
        self.graph.set_latency(latency);
    }

    /// Replaces both fakes' fault rules (request numbers start again from 1).
    pub fn set_faults(&self, huma: Vec<FaultRule>, graph: Vec<FaultRule>, seed: u64) {
        self.huma.set_faults(huma, seed);
        self.graph.set_faults(graph, seed.wrapping_add(1));
    }

    /// Every user of both fakes in comparable form.
    pub fn dump(&self) -> Dump {
        Dump::of(&self.huma.users(), &self.graph.users())
    }
}

/// Both fakes' users, keyed by email (Huma) and user principal name (Graph), lower case, with the
/// ids the fakes generate (user, position and job title ids) blanked: two runs that did the same
/// compare equal whatever order their writes came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    /// Huma's users by email.
    pub huma: BTreeMap<String, HumaUser>,
    /// Graph's users by user principal name.
    pub graph: BTreeMap<String, GraphUser>,
    /// Keys held by more than one user: emails or employment ids (Huma), user principal names,
    /// mails or employee ids (Graph). Empty when nobody is duplicated.
    pub duplicates: Vec<String>,
}

impl Dump {
    /// The comparable form of these users.
    pub fn of(huma: &[HumaUser], graph: &[GraphUser]) -> Dump {
        let mut duplicates = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = |key: String| *seen.entry(key).or_default() += 1;
        let mut huma_users = BTreeMap::new();
        for user in huma {
            let mut user = user.clone();
            user.id.clear();
            for position in &mut user.positions {
                position.id.clear();
                if let Some(title) = &mut position.title {
                    title.id.clear();
                }
            }
            if let Some(title) = &mut user.legacy_job_title {
                title.id.clear();
            }
            count(format!("huma email {}", user.email.to_lowercase()));
            if let Some(id) = &user.employment_id {
                count(format!("huma employment id {id}"));
            }
            huma_users.insert(user.email.to_lowercase(), user);
        }
        let mut graph_users = BTreeMap::new();
        for user in graph {
            let mut user = user.clone();
            user.id.clear();
            let upn = user.user_principal_name.clone().unwrap_or_default().to_lowercase();
            count(format!("graph upn {upn}"));
            if let Some(mail) = &user.mail {
                count(format!("graph mail {}", mail.to_lowercase()));
            }
            if let Some(id) = &user.employee_id {
                count(format!("graph employee id {id}"));
            }
            graph_users.insert(upn, user);
        }
        duplicates
            .extend(seen.into_iter().filter(|(_, n)| *n > 1).map(|(k, n)| format!("{k} ×{n}")));
        Dump { huma: huma_users, graph: graph_users, duplicates }
    }

    /// The first `limit` differences from `other`, one line each (empty when equal).
    pub fn differences(&self, other: &Dump, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        diff_maps("huma", &self.huma, &other.huma, &mut out);
        diff_maps("graph", &self.graph, &other.graph, &mut out);
        if self.duplicates != other.duplicates {
            out.push(format!("duplicates: {:?} vs {:?}", self.duplicates, other.duplicates));
        }
        out.truncate(limit);
        out
    }
}

fn diff_maps<T: PartialEq + std::fmt::Debug>(
    side: &str,
    a: &BTreeMap<String, T>,
    b: &BTreeMap<String, T>,
    out: &mut Vec<String>,
) {
    for (key, x) in a {
        match b.get(key) {
            None => out.push(format!("{side} {key}: only in the first")),
            Some(y) if x != y => out.push(format!("{side} {key}: {x:?} vs {y:?}")),
            Some(_) => {}
        }
    }
    for key in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("{side} {key}: only in the second"));
    }
}
