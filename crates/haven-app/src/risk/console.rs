//! The trust-and-safety side of payment risk: the review queue and its
//! decisions, the rules (versioned, validated, dry-run) and named lists.

use super::*;

/// Longest note an agent may attach to a decision.
const MAX_NOTE_CHARS: usize = 2_000;
const MAX_RULE_NAME_CHARS: usize = 120;

impl App {
    /// Payments held for review, newest first.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> AppResult<Page<ReviewItem>> {
        self.require_agent(actor)?;
        let attempts = self.store.risk_attempts_in_review(page).await?;
        let mut items = Vec::with_capacity(attempts.items.len());
        for attempt in attempts.items {
            items.push(self.review_item(attempt).await?);
        }
        Ok(Page {
            items,
            next_cursor: attempts.next_cursor,
        })
    }

    async fn review_item(&self, attempt: RiskAttempt) -> AppResult<ReviewItem> {
        let order = match attempt.order_id {
            Some(id) => self.store.order(id).await?,
            None => None,
        };
        let reasons = serde_json::from_value::<Assessment>(attempt.assessment.clone())
            .map(|a| a.reasons())
            .unwrap_or_default();
        Ok(ReviewItem {
            attempt,
            order,
            reasons,
        })
    }

    /// Other accounts sharing the attempt's device, card, IP or address:
    /// what the queue lists next to each held payment it already read.
    pub async fn linked_accounts(
        &self,
        actor: &Actor,
        attempt: &RiskAttempt,
    ) -> AppResult<Vec<haven_store::LinkedAccount>> {
        self.require_agent(actor)?;
        Ok(self.store.risk_linked_accounts(attempt, 50).await?)
    }

    /// One held order with the linked accounts and the buyer's history.
    pub async fn review_case(&self, actor: &Actor, order_id: OrderId) -> AppResult<ReviewCase> {
        self.require_agent(actor)?;
        let attempt = self
            .store
            .risk_attempt_for_order(order_id)
            .await?
            .ok_or_else(|| AppError::not_found("payment review"))?;
        let linked_accounts = self.store.risk_linked_accounts(&attempt, 50).await?;
        let (paid, _) = self
            .store
            .risk_paid_history(attempt.buyer_id, &attempt.currency)
            .await?;
        let age_hours = match self.store.user(attempt.buyer_id).await? {
            Some(user) => self.now().duration_since(user.created_at).as_secs() / 3600,
            None => 0,
        };
        Ok(ReviewCase {
            item: self.review_item(attempt).await?,
            linked_accounts,
            buyer_paid_orders: paid,
            buyer_account_age_hours: age_hours,
        })
    }

    /// An agent's decision on a held order: approve lets the seller ship;
    /// refuse cancels it and refunds the buyer in full.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        order_id: OrderId,
        approve: bool,
        note: &str,
    ) -> AppResult<Order> {
        self.require_agent(actor)?;
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::invalid_field("note", "the note is too long"));
        }
        let by = ActorRef::user(Party::Agent, actor);
        for _ in 0..crate::MAX_RETRIES {
            let order = self.order(order_id).await?;
            if !order.held_for_review() {
                return Err(AppError::invalid_state(
                    "this order is not waiting for a payment review",
                ));
            }
            let event = if approve {
                OrderEvent::RiskApproved
            } else {
                OrderEvent::RiskRefused
            };
            let (mut changes, transition) =
                self.order_changes(&order, event, by, self.now()).await?;
            let outcome = if approve {
                RiskOutcome::Approved
            } else {
                RiskOutcome::Refused
            };
            changes.risk_outcomes.push((order.id, outcome));
            if let Some(audit) = changes.audit.last_mut() {
                audit.action = format!(
                    "risk_review_{}",
                    if approve { "approved" } else { "refused" }
                );
                audit.reason = note.trim().to_string();
            }
            match self.store.commit(changes).await {
                Ok(()) => {
                    self.after_commit(&transition).await;
                    let mut updated = transition.order;
                    updated.version = order.version + 1;
                    return Ok(updated);
                }
                Err(err) if crate::is_race(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    /// Every rule with its version in force (enabled or not).
    pub async fn risk_rules(&self, actor: &Actor) -> AppResult<Vec<RiskRule>> {
        self.require_agent(actor)?;
        Ok(self.store.risk_rules().await?)
    }

    pub async fn risk_rule(&self, actor: &Actor, id: &str) -> AppResult<(RiskRule, Vec<RiskRule>)> {
        self.require_agent(actor)?;
        let versions = self.store.risk_rule_versions(id).await?;
        let current = self
            .store
            .risk_rules()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| AppError::not_found("rule"))?;
        Ok((current, versions))
    }

    /// Validate and compile a rule as submitted, against the lists in force.
    async fn checked_rule(
        &self,
        id: &str,
        version: i64,
        input: &RuleInput,
    ) -> AppResult<rules::CompiledRule> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > MAX_RULE_NAME_CHARS {
            return Err(AppError::invalid_field(
                "name",
                format!("a rule needs a name of 1-{MAX_RULE_NAME_CHARS} characters"),
            ));
        }
        let action = RuleAction::parse(&input.action).ok_or_else(|| {
            AppError::invalid_field(
                "action",
                "action must be request_verification, allow, block or review",
            )
        })?;
        let spec = RuleSpec {
            id: id.to_string(),
            version,
            name: name.to_string(),
            action,
            expression: input.expression.clone(),
        };
        let lists = self.loaded_rules().await?.lists.clone();
        rules::compile(spec, &lists).map_err(rule_error)
    }

    /// Save a rule: a new one (`id` None) or the next version of one.
    /// Refused, with the position, if it does not compile.
    pub async fn save_risk_rule(
        &self,
        actor: &Actor,
        id: Option<&str>,
        input: RuleInput,
    ) -> AppResult<RiskRule> {
        self.require_agent(actor)?;
        let (id, version, expected) = match id {
            None => (format!("rule-{}", uuid::Uuid::now_v7().simple()), 1, None),
            Some(id) => {
                let expected = input.expected_version.ok_or_else(|| {
                    AppError::invalid_field(
                        "expected_version",
                        "say which version you are replacing",
                    )
                })?;
                (id.to_string(), expected + 1, Some(expected))
            }
        };
        let compiled = self.checked_rule(&id, version, &input).await?;
        let rule = RiskRule {
            id,
            version,
            name: compiled.spec.name.clone(),
            action: compiled.spec.action.as_str().into(),
            expression: compiled.spec.expression.clone(),
            enabled: input.enabled,
            updated_at: self.now(),
            updated_by: Some(actor.id()),
        };
        let changes = Changeset {
            risk_rules: vec![RiskRuleWrite {
                rule: rule.clone(),
                expected_version: expected,
            }],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        self.risk_rules_cache.invalidate();
        tracing::info!(rule = %rule.id, version = rule.version, agent = %actor.id(), enabled = rule.enabled, "risk rule saved");
        Ok(rule)
    }

    /// What a rule (saved or not) would have done over the last `last`
    /// payments, each with the score it had then.
    pub async fn dry_run_rule(
        &self,
        actor: &Actor,
        input: &RuleInput,
        last: u32,
    ) -> AppResult<DryRun> {
        self.require_agent(actor)?;
        let last = last.clamp(1, MAX_DRY_RUN);
        let compiled = self.checked_rule("dry-run", 0, input).await?;
        let rules = self.loaded_rules().await?;
        let attempts = self.store.recent_risk_attempts(last).await?;
        let mut run = DryRun {
            evaluated: 0,
            matched: 0,
            skipped_missing: 0,
            failed: 0,
            would_change: 0,
            examples: Vec::new(),
        };
        for attempt in attempts {
            let Ok(assessment) = serde_json::from_value::<Assessment>(attempt.assessment.clone())
            else {
                continue;
            };
            run.evaluated += 1;
            match rules
                .set
                .try_rule(&compiled, &assessment.features, assessment.score.score)
            {
                rules::Outcome::Matched => {
                    run.matched += 1;
                    if changes_outcome(compiled.spec.action, attempt.outcome) {
                        run.would_change += 1;
                    }
                    if run.examples.len() < 20 {
                        run.examples.push(DryRunExample {
                            attempt_id: attempt.id,
                            order_id: attempt.order_id,
                            at: attempt.at,
                            outcome: attempt.outcome,
                            score: attempt.score,
                            amount_minor: attempt.amount_minor,
                            currency: attempt.currency.clone(),
                        });
                    }
                }
                rules::Outcome::NotMatched => {}
                rules::Outcome::Missing(_) => run.skipped_missing += 1,
                rules::Outcome::Failed(_) => run.failed += 1,
            }
        }
        Ok(run)
    }

    pub async fn risk_lists(&self, actor: &Actor) -> AppResult<Vec<RiskListEntry>> {
        self.require_agent(actor)?;
        Ok(self.store.risk_lists().await?)
    }

    pub async fn edit_risk_list(
        &self,
        actor: &Actor,
        name: &str,
        value: &str,
        add: bool,
    ) -> AppResult<()> {
        self.require_agent(actor)?;
        if !rules::valid_list_name(name) {
            return Err(AppError::invalid_field(
                "name",
                "a list name is 1-40 lower-case letters, digits or _, starting with a letter",
            ));
        }
        let value = value.trim();
        if value.is_empty()
            || value.chars().count() > MAX_LIST_VALUE_CHARS
            || value.chars().any(char::is_control)
        {
            return Err(AppError::invalid_field(
                "value",
                format!("a list value is 1-{MAX_LIST_VALUE_CHARS} printable characters"),
            ));
        }
        let mut changes = Changeset::default();
        if add {
            changes.risk_list_adds.push(RiskListEntry {
                name: name.into(),
                value: value.into(),
                added_at: self.now(),
                added_by: Some(actor.id()),
            });
        } else {
            changes.risk_list_removes.push((name.into(), value.into()));
        }
        self.store.commit(changes).await?;
        self.risk_rules_cache.invalidate();
        tracing::info!(list = name, agent = %actor.id(), add, "risk list edited");
        Ok(())
    }
}

impl App {
    /// The brand name the message scanner protects, as the admin set it
    /// (else `brand_name` from config).
    pub async fn scanner_brand(&self) -> AppResult<String> {
        let set = self
            .store
            .risk_lists()
            .await?
            .into_iter()
            .find(|e| e.name == crate::risk::MARKETPLACE_BRAND);
        Ok(set.map_or_else(|| self.config.brand_name.clone(), |e| e.value))
    }

    /// An admin renames the brand the scanner protects; it reaches every
    /// node's scanner when the rules are next read.
    pub async fn set_scanner_brand(&self, admin: &Actor, name: &str) -> AppResult<()> {
        admin.require_role(haven_domain::account::Role::Admin)?;
        let name = name.trim();
        let fits = (2..=40).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-');
        if !fits {
            return Err(AppError::invalid_field(
                "brand_name",
                "a brand name is 2-40 letters, digits, spaces or hyphens",
            ));
        }
        let list = crate::risk::MARKETPLACE_BRAND;
        let mut changes = Changeset::default();
        // The store applies adds before removes: keep an unchanged name.
        for old in self.store.risk_lists().await? {
            if old.name == list && old.value != name {
                changes.risk_list_removes.push((old.name, old.value));
            }
        }
        changes.risk_list_adds.push(RiskListEntry {
            name: list.into(),
            value: name.into(),
            added_at: self.now(),
            added_by: Some(admin.id()),
        });
        self.store.commit(changes).await?;
        self.risk_rules_cache.invalidate();
        tracing::info!(admin = %admin.id(), brand = name, "scanner brand set");
        Ok(())
    }
}

/// Would a rule with `action` have changed what happened to a payment?
fn changes_outcome(action: RuleAction, then: RiskOutcome) -> bool {
    use RiskOutcome as O;
    match action {
        RuleAction::Block => !matches!(then, O::Blocked),
        RuleAction::Review => !matches!(then, O::Review | O::Blocked | O::Approved | O::Refused),
        RuleAction::Allow => matches!(then, O::Blocked | O::Review | O::Refused),
        RuleAction::RequestVerification => !matches!(then, O::Verification | O::Blocked),
    }
}
