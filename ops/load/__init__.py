"""The load generator (压力测试, `hotline load`): sipp callers and agents, screens, the report.

Part of ops/: may import every floor below (hotline/, db/, domains, agi/, web/) and ops.asterisk.
"""
