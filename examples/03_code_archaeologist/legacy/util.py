# util.py -- shared helpers
import time

TAX_RATE = 0.16   # XXX: changed by hand every January
_log = []

def log(msg):
    _log.append("%s %s" % (time.ctime(), msg))
    if len(_log) > 1000:
        _log[:] = []   # drop everything, nobody reads it anyway

def money(x):
    try:
        return "%.2f" % x
    except:
        return "0.00"
