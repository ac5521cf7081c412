"""The legal stage (法催): referrals into matters, litigation and arbitration tracking, lawyer
letters (律师函) as PDF through the compliance guard, evidence packs, and claims on guarantors
and credit insurers.

Modules: ``models`` (tables), ``schemas`` (what the screens read and accept), ``service``
(referrals, law firms, matters and events; shared checks), ``letters`` (lawyer letters),
``evidence`` (the evidence pack ZIP), ``claims`` (claims and recoveries). ``docs.md`` describes
the data flow.
"""
