"""The phone set-up: the address to open on a phone, its QR code, and this machine's certificate authority.

A phone's browser grants the wake lock, service workers and installing only
to a secure origin, so beyond 127.0.0.1 `serve` speaks HTTPS with a
certificate from this machine's own authority (`recovery.tls`). The settings
page's "Your phone" section (templates/_phone_setup.html) shows what to open
and how to trust the authority once; `GET /phone/ca.crt` hands out the
authority's certificate, never a key.

What `serve` knows is in the app's config: TLS_CERTIFICATES (a
`recovery.tls.Certificates`, or None without TLS), PHONE_ADDRESSES (the
addresses a phone can open, set once the server listens) and BEHIND_PROXY.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from recovery import tls

bp = Blueprint("phone", __name__)

CA_MIME = "application/x-x509-ca-cert"
CA_DOWNLOAD_NAME = "recovery-coach-ca.crt"
NO_CA = (
    "This dashboard is not serving its own certificate: start it with `recovery serve --host 0.0.0.0` "
    "for HTTPS on your home network."
)


@dataclass(frozen=True)
class PhoneSetup:
    """What the "Your phone" section shows."""

    #: 'tls' (our own certificate), 'proxy' (the runner's TLS proxy), 'plain' (beyond loopback, no TLS),
    #: or 'local' (127.0.0.1 only: how to start it for the phone instead).
    mode: str
    #: Addresses to open on the phone, best first.
    addresses: tuple[str, ...] = ()
    #: The QR code of the first address, as inline SVG (the page's CSP allows no data: images).
    qr_svg: Markup | None = None
    ca_fingerprint: str | None = None


def qr_svg(text: str, label: str) -> Markup:
    """A QR code of `text` as SVG markup, dark on white whatever the page's colours, named for screen readers."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, dark="#000", light="#fff",
                          title=label)  # fmt: skip
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def phone_setup() -> PhoneSetup:
    """The set-up for this server, from what `serve` put in the config and, behind a proxy, this request."""
    config = current_app.config
    certificates: tls.Certificates | None = config.get("TLS_CERTIFICATES")
    addresses = tuple(config.get("PHONE_ADDRESSES") or ())
    if not config.get("LOGIN_REQUIRED"):  # listening on this machine alone (with or without --tls)
        return PhoneSetup(mode="local")
    if config.get("BEHIND_PROXY"):
        addresses = (request.url_root,)  # the name and scheme the proxy forwarded (ProxyFix)
        mode = "proxy"
    else:
        mode = "tls" if certificates is not None else "plain"
    code = qr_svg(addresses[0], f"QR code of {addresses[0]}") if addresses else None
    return PhoneSetup(
        mode=mode,
        addresses=addresses,
        qr_svg=code,
        ca_fingerprint=certificates.ca_fingerprint if certificates is not None and mode == "tls" else None,
    )


@bp.get("/phone/ca.crt")
def ca_certificate() -> ResponseReturnValue:
    """This machine's certificate authority, for a phone to install: the certificate alone, read back as one."""
    certificates: tls.Certificates | None = current_app.config.get("TLS_CERTIFICATES")
    if certificates is None:
        return Response(NO_CA + "\n", 404, mimetype="text/plain")
    try:
        pem = tls.certificate_pem(certificates.ca_certificate)
    except (OSError, ValueError):
        sentence = f"The certificate authority's file {certificates.ca_certificate} cannot be read: restart `serve`."
        return Response(sentence + "\n", 503, mimetype="text/plain")
    return Response(
        pem,
        mimetype=CA_MIME,
        headers={"Content-Disposition": f'attachment; filename="{CA_DOWNLOAD_NAME}"'},
    )
