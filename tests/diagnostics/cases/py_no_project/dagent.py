from dagent_gen import Agent

main = Agent("main")
