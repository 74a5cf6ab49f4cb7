"""Machine monitoring (Law arts. 51–52, Plan §3.2): the constituency register, feed parsers,
normalized events, attribution, aggregates, detection rules → candidate items, statistics."""
