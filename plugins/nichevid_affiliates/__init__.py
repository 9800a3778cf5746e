"""Affiliate links: creators attach product links to their videos and earn commissions.

Links show as a disclosed chip on feed cards and as a list under a video on its page;
they point at ``/go/<id>``, which counts one click per viewer, link and day and
redirects to the shop with the operator's parameters and a click token. Affiliate
networks report sales for that token with a signed postback; the commission, less
the platform's cut, is booked to the creator's earnings in the ledger
(``nichevid.payments``) as the ``affiliates`` stream.
"""
