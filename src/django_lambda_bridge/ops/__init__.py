"""Operations reached only by direct invocation: warm-up pings and management commands.

Nothing here is on the HTTP path. An event reaches these modules only when it
has no ``requestContext`` (see ``kinds.py``), which only a caller holding
``lambda:InvokeFunction`` (or a schedule rule it configured) can send.
"""
