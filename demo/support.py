"""Demo support tickets: Spanish threads between customers and staff, internal notes and attached photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..connectors.native import tables as t
from .context import CustomerSpec, DemoContext
from .files import content_type_of, demo_file


@dataclass(frozen=True)
class _Topic:
    subject: str
    area: str
    category: str
    priority: str
    opening: tuple[str, ...]
    reply: tuple[str, ...]
    files: tuple[str, ...] = ()


_TOPICS = (
    _Topic("Sin conexión desde ayer", "Soporte Técnico", "Sin servicio", "Alta",
           ("Desde ayer a la tarde no tengo internet. Ya reinicié el router y sigue la luz roja titilando.",
            "Hola, estoy sin servicio desde anoche. ¿Hay algún corte en la zona?"),
           ("Vemos la ONU sin señal desde nuestro lado. ¿Puede revisar que el cable de fibra no esté doblado?",
            "Hubo un corte de fibra en el tendido troncal por obras; la cuadrilla ya está trabajando."),
           ("foto_router.jpg", "luces_onu.jpg")),
    _Topic("Lentitud en horario nocturno", "Soporte Técnico", "Lentitud", "Media",
           ("Desde las 20 h la conexión anda muy lenta; el test da menos de la mitad del plan.",
            "De noche no puedo ver series sin que se corte, durante el día anda bien."),
           ("Le pedimos un test por cable de red (no por WiFi) entre las 21 y las 23 h.",
            "Detectamos saturación en el nodo de su barrio; ampliamos la capacidad esta semana."),
           ("captura_speedtest.png", "test_velocidad_noche.png")),
    _Topic("Cortes intermitentes del servicio", "Soporte Técnico", "Cortes", "Media",
           ("Se corta internet varias veces por día, unos minutos cada vez.",),
           ("Vemos reconexiones frecuentes en los registros. Vamos a cambiar el conector de la roseta.",),
           ("captura_cortes.png",)),
    _Topic("El router no enciende", "Soporte Técnico", "Equipos", "Alta",
           ("Después de la tormenta el router no prende ninguna luz.",),
           ("Coordinamos el cambio de equipo sin cargo; el técnico lo lleva mañana por la mañana.",),
           ("foto_router.jpg",)),
    _Topic("Cambio de contraseña del WiFi", "Soporte Técnico", "Configuración", "Baja",
           ("¿Cómo hago para cambiar la clave del WiFi? No encuentro la opción.",),
           ("Puede hacerlo en 192.168.1.1 con el usuario de la etiqueta del equipo; le dejamos el instructivo.",)),
    _Topic("Cambio de domicilio", "Comercial", "Mudanza", "Media",
           ("Me mudo a fin de mes y quiero llevar el servicio a la nueva casa. ¿Qué tengo que hacer?",),
           ("Hay fibra en el nuevo domicilio. El traslado tiene un costo de reinstalación.",)),
    _Topic("Consulta por cambio de plan", "Comercial", "Cambio de plan", "Baja",
           ("Quisiera pasar a un plan de más velocidad. ¿Se mantiene el precio promocional?",),
           ("El cambio se hace sin visita técnica y se aplica desde la próxima factura.",)),
    _Topic("Factura con importe incorrecto", "Administración", "Facturación", "Media",
           ("La factura de este mes vino con un recargo, pero pagué antes del vencimiento.",),
           ("Verificamos el pago; corresponde bonificar el recargo y lo verá en una nota de crédito.",),
           ("factura_marcada.pdf",)),
    _Topic("Informé un pago que no figura", "Administración", "Pagos", "Media",
           ("Pagué por transferencia hace tres días y sigue figurando la deuda. Adjunto el comprobante.",
            "Pagué en Rapipago y en el portal me sigue apareciendo la factura impaga."),
           ("Gracias, imputamos el pago con la fecha del comprobante.",),
           ("comprobante_pago.pdf", "comprobante_transferencia.jpg")),
    _Topic("Visita técnica para reubicar la roseta", "Instalaciones", "Visita técnica", "Baja",
           ("Quiero mover el router al primer piso, ¿pueden venir a reubicar la roseta óptica?",),
           ("Agendamos la visita; el técnico se comunicará el día anterior para confirmar el horario.",),
           ("plano_casa.jpg",)),
    _Topic("Solicitud de baja del servicio", "Comercial", "Bajas", "Media",
           ("Quiero dar de baja el servicio a partir del mes que viene.",),
           ("Registramos la baja. Le pedimos devolver el equipo en la oficina dentro de los 10 días.",)),
)  # fmt: skip

_CUSTOMER_FOLLOW_UPS = (
    "Sigue igual, ¿pueden revisarlo de nuevo?",
    "Muchas gracias por la respuesta.",
    "¿Tienen novedades? Lo necesito para trabajar desde casa.",
    "Listo, hice lo que me indicaron.",
    "Perfecto, quedo a la espera.",
)
_STAFF_FOLLOW_UPS = (
    "Le confirmamos que el inconveniente quedó resuelto. Cualquier novedad, responda este ticket.",
    "Derivamos el caso al área técnica; le avisamos por este medio.",
    "Gracias por la paciencia. Cerramos el ticket; si vuelve a ocurrir puede reabrirlo.",
)
_INTERNAL_NOTES = (
    "Nota interna: cliente con reclamos previos, priorizar.",
    "Nota interna: nivel de señal óptica −27 dBm, revisar empalme en la caja.",
    "Nota interna: verificar con cobranzas antes de reconectar.",
    "Nota interna: se asignó a la cuadrilla de la zona norte.",
)


def _now(today: date) -> datetime:
    """Generation's 'now': the end of today's working day in Argentina (UTC−3)."""
    return datetime.combine(today, time(23, 0), tzinfo=UTC)


def _awake(ctx: DemoContext, moment: datetime, staff: bool) -> datetime:
    """Push a message into waking hours in Argentina (UTC−3): staff answer 8–20 h, customers write 7–23 h."""
    start, end = (8, 20) if staff else (7, 23)
    local = moment - timedelta(hours=3)
    if local.hour < start:
        local = local.replace(hour=start + ctx.rng.randint(0, 3))
    elif local.hour >= end:
        local = (local + timedelta(days=1)).replace(hour=start + ctx.rng.randint(0, 3))
    return local + timedelta(hours=3)


def add_tickets(ctx: DemoContext, spec: CustomerSpec) -> None:
    rng, today = ctx.rng, ctx.today
    count = rng.choices((0, 1, 2, 3, 4), weights=(35, 30, 18, 11, 6))[0]
    start = spec.created_on
    end = spec.left_on or today
    days = sorted(ctx.day_between(start, end) for _ in range(count))
    if spec.demo:
        # Two old tickets and one from two days ago, still being handled.
        days = sorted(ctx.day_between(start, end - timedelta(days=30)) for _ in range(2))
        days.append(today - timedelta(days=2))
    for day in days:
        recent = (today - day).days < 10
        topic = rng.choice(_TOPICS if not recent else _TOPICS[:9])
        _ticket(ctx, spec, topic, day, recent, force_open=spec.demo and day == days[-1])


def _ticket(
    ctx: DemoContext, spec: CustomerSpec, topic: _Topic, day: date, recent: bool, force_open: bool
) -> None:
    rng = ctx.rng
    created = ctx.instant(day)
    ticket_id = ctx.sink.add(
        t.tickets, customer_id=spec.id, number="", subject=topic.subject, status="", priority=topic.priority,
        area=topic.area, category=topic.category, assignee=ctx.pick_staff(topic.area), created_at=created,
        updated_at=created, closed_at=None,
    )  # fmt: skip
    ticket = ctx.sink.last(t.tickets)
    ticket["number"] = f"TK-{ticket_id + 4_800:06d}"  # the ISP's tickets started before the demo's window
    # Old tickets were answered at least once; recent ones may still wait for the first reply.
    wanted = rng.choices((1, 2, 3, 4, 5, 6), weights=(20 if recent else 0, 25, 25, 20, 12, 8))[0]
    if force_open:
        wanted = 3
    author = spec.name if not spec.business else f"{ctx.fake.first_name()} {ctx.fake.last_name()}"
    moment = created
    last = created
    staff_spoke = False
    for position in range(wanted):
        from_customer = position % 2 == 0
        moment = _awake(ctx, moment, staff=not from_customer)
        if moment > _now(ctx.today):
            break
        if from_customer:
            body = rng.choice(topic.opening) if position == 0 else rng.choice(_CUSTOMER_FOLLOW_UPS)
            name = author
        else:
            body = rng.choice(topic.reply) if position == 1 else rng.choice(_STAFF_FOLLOW_UPS)
            name = ticket["assignee"]
            staff_spoke = True
        message_id = ctx.sink.add(
            t.ticket_messages, ticket_id=ticket_id, author_name=name, from_customer=from_customer, body=body,
            internal=False, created_at=moment,
        )  # fmt: skip
        last = moment
        if from_customer and topic.files and rng.random() < 0.35:
            filename = rng.choice(topic.files)
            rng.randint(40_000, 3_500_000)  # drawn as when sizes were made up: the rest of the demo stays as it was
            content, content_type = demo_file(filename), content_type_of(filename)
            key = ctx.sink.keep(content, content_type)
            ctx.sink.add(
                t.attachments, owner_kind="TicketMessage", owner_id=message_id, filename=filename,
                content_type=content_type, size=len(content), sha256=key,
            )  # fmt: skip
        note_at = _awake(ctx, moment + timedelta(minutes=rng.randint(5, 90)), staff=True)
        if not from_customer and rng.random() < 0.25 and note_at <= _now(ctx.today):
            moment = note_at
            ctx.sink.add(
                t.ticket_messages, ticket_id=ticket_id, author_name=name, from_customer=False,
                body=rng.choice(_INTERNAL_NOTES), internal=True, created_at=moment,
            )  # fmt: skip
            last = moment
        moment += timedelta(minutes=rng.randint(20, 30 * 60))
    if force_open:
        status = "IN_PROGRESS"
    elif recent:
        status = rng.choice(("OPEN", "IN_PROGRESS", "CLOSED")) if staff_spoke else "OPEN"
    else:
        status = rng.choices(("CLOSED", "IN_PROGRESS", "OPEN"), weights=(95, 3, 2))[0]
    ticket["status"] = status
    ticket["updated_at"] = last
    ticket["closed_at"] = last if status == "CLOSED" else None
