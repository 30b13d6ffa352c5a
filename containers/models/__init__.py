from .accounts import Profile, Team
from .apps import App, Release
from .compose import ComposeFileVersion, ComposePolicySetting, ComposeProject
from .hosts import DockerHost, Registry
from .jobs import Job, JobLine
from .mirror import Container, Image, Network, Volume

__all__ = [
    "App",
    "ComposeFileVersion",
    "ComposePolicySetting",
    "ComposeProject",
    "Container",
    "DockerHost",
    "Image",
    "Job",
    "JobLine",
    "Network",
    "Profile",
    "Registry",
    "Release",
    "Team",
    "Volume",
]
