"""Packages of the distribution; everything else is in pyproject.toml.

The design card keeps the themes in a top-level ``themes/`` folder (users read and copy them there); the wheel
ships that folder as the package data of ``tui.themes``, where the app's theme loader finds it once installed
(in a git checkout or an editable install it reads ``themes/`` beside the code). A plain packages.find in
pyproject.toml left it out of the wheel (issue 13).
"""

from setuptools import find_packages, setup

setup(
    # the catalogues' folders (core/locale, tui/locale) are data-only packages: listed, so setuptools neither
    # warns at every install that they are importable yet unlisted nor may drop them some day
    packages=[*find_packages(include=["core", "core.*", "tui", "tui.*"]), "core.locale", "tui.locale", "tui.themes"],
    package_dir={"tui.themes": "themes"},
)
