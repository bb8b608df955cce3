"""Asterisk 22 for the hotline: locating or building the binary, rendering ``asterisk_conf/``, instances."""
