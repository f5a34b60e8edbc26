//! Issue sources: local git, GSD planning files, todos, GitHub, Sentry, Linear. Not built yet: see the "Audit and plan" and "Remote sources" issues.
