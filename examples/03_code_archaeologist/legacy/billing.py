# billing.py -- computes invoices for the nightly batch
import sys, string
from customers import lookup_customer, CUSTOMERS
from util import *

def invoice_total(lines):
    total = 0.0
    for qty, price in lines:
        total = total + qty * price   # FIXME: floats for money
    return round(total * (1 + TAX_RATE), 2)

def parse_orders(path):
    orders = {}
    for row in open(path).readlines():
        cid, qty, price = string.split(string.strip(row), ",")
        if not orders.has_key(cid):
            orders[cid] = []
        orders[cid].append((int(qty), float(price)))
    return orders

def main():
    orders = parse_orders(sys.argv[1])
    for cid in orders.keys():
        try:
            customer = lookup_customer(cid)
        except Exception as e:  # was `except Exception, e` before the 2.6 port
            log("unknown customer %s: %s" % (cid, e))
            continue
        print("%-20s %10.2f" % (customer["name"], invoice_total(orders[cid])))
    print("customers billed: %d of %d" % (len(orders), len(CUSTOMERS)))

if __name__ == "__main__":
    main()
