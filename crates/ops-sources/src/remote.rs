//! The remote sources a set of projects needs, built from the settings file:
//! GitHub when a project names `repos`, Sentry when one has `sentry{org,
//! project}`, Linear when one has `linear{team}`. Each one's token is looked up
//! with the [`SecretResolver`]; a token found nowhere turns that source off
//! with a notice saying why (the audit goes on with the others, and since the
//! source never ran, none of its tasks can be completed as "already done").

use crate::secrets::{SecretResolver, TokenUser};
use crate::{GitHubConfig, GitHubSource, LinearConfig, LinearSource, SentryConfig, SentrySource};
use ops_core::config::Settings;
use ops_core::model::Project;
use ops_core::{IssueSource, Secret, SourceCache};
use std::sync::Arc;

/// The remote sources that could be built, and why the others are off.
#[derive(Default)]
pub struct RemoteSources {
    /// Ready to audit.
    pub sources: Vec<Arc<dyn IssueSource>>,
    /// One line per source that is off (never a token).
    pub off: Vec<String>,
}

/// Builds the remote sources `projects` need. GitHub keeps its run lists'
/// `ETag`s in `cache` (the board).
pub async fn remote_sources(
    projects: &[Project],
    settings: &Settings,
    secrets: &SecretResolver,
    cache: Arc<dyn SourceCache>,
) -> RemoteSources {
    let http = settings.http.clone();
    let mut out = RemoteSources::default();
    if projects.iter().any(|p| !p.repos.is_empty()) {
        let config = GitHubConfig {
            api_url: settings.github.api_url.clone(),
            graphql_url: Some(settings.github.graphql_url.clone()),
            batch_size: settings.github.batch_size,
            http: http.clone(),
        };
        out.add(secrets, TokenUser::GitHub, |token| {
            GitHubSource::new(config, token, cache)
        })
        .await;
    }
    if projects.iter().any(|p| p.sentry.is_some()) {
        let config = SentryConfig {
            url: settings.sentry.url.clone(),
            http: http.clone(),
            ..SentryConfig::default()
        };
        out.add(secrets, TokenUser::Sentry, |token| {
            SentrySource::new(config, token)
        })
        .await;
    }
    if projects.iter().any(|p| p.linear.is_some()) {
        let config = LinearConfig {
            url: settings.linear.url.clone(),
            current_cycle_only: settings.linear.current_cycle_only,
            http,
            ..LinearConfig::default()
        };
        out.add(secrets, TokenUser::Linear, |token| {
            LinearSource::new(config, token)
        })
        .await;
    }
    out
}

impl RemoteSources {
    async fn add<S: IssueSource + 'static>(
        &mut self,
        secrets: &SecretResolver,
        user: TokenUser,
        build: impl FnOnce(Secret) -> ops_core::Result<S>,
    ) {
        match secrets.token(user).await {
            Err(missing) => self.off.push(missing.to_string()),
            Ok(token) => match build(token) {
                Ok(source) => self.sources.push(Arc::new(source)),
                Err(e) => self
                    .off
                    .push(format!("the {} source is off: {e}", user.label())),
            },
        }
    }
}
