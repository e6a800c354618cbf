"""Package layout that pyproject.toml cannot express alone (see the comment there)."""

from setuptools import find_packages, setup

TEMPLATE_PACKAGES = {
    "slostack.rules_templates": "rules_templates",
    "slostack.dashboards_templates": "dashboards_templates",
}

setup(
    packages=[*find_packages("platform", include=["slostack", "slostack.*"]), *TEMPLATE_PACKAGES],
    package_dir={"": "platform", **TEMPLATE_PACKAGES},
)
