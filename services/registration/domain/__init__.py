"""Registration's domain: its aggregates and the decisions that need nothing but them.

deal          the registered deal (报备): review, ownership, protection, the pool
lead          a lead, until it is converted into a deal
account       a customer
partner       a channel partner organisation (渠道伙伴) and its refused registrations
indexes       customer keys (撞单) and each rep's holdings (保有量): the race-free guards
terms         the terms a deal is registered with
normalise     what people type, made comparable
duplicates    the duplicate / conflict check (查重) and the auto-approval thresholds
registration  the registration rule: what registering a deal decides and creates
recycling     when a deal goes back to the pool, and what the sweep does about it
topics        the topics the aggregates were first stored under, kept
"""
