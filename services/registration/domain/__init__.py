"""Registration's domain: its aggregates and the decisions that need nothing but them.

    deal          leads, accounts and registered deals (报备)
    indexes       customer keys (撞单) and each rep's holdings (保有量): the race-free guards
    normalise     what people type, made comparable
    duplicates    the duplicate / conflict check (查重) and the auto-approval thresholds
    recycling     when a deal is due to go back to the pool
    topics        the topics the aggregates were first stored under, kept
"""
