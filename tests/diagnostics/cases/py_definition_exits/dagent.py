import sys

from dagent_gen import Agent, Project

if __name__ != "__main__":
    sys.exit("run me directly")
project = Project(package="agents", agents=[Agent("main")])
