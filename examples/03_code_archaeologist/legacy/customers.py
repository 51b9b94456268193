# customers.py -- the customer table (loaded once, mutated everywhere)
CUSTOMERS = {}

def load(path="customers.dat"):
    global CUSTOMERS
    for line in open(path):
        cid, name, discount = line.strip().split("|")
        CUSTOMERS[cid] = {"name": name, "discount": float(discount)}

def lookup_customer(cid):
    if not CUSTOMERS:
        load()
    return CUSTOMERS[cid]   # KeyError means "unknown customer" to billing.py

def apply_discount(cid, amount):
    # TODO: discounts should not apply to tax
    return amount - amount * CUSTOMERS[cid]["discount"]
