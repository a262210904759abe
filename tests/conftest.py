import os

from hypothesis import HealthCheck, settings

# CI gets a smaller example budget (the property tests stay; see README "Testing").
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("KW86_HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "dev"))
