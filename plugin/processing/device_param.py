"""The DEVICE parameter, declared once for every algorithm that computes with PyTorch.

It stays a plain string (auto, cpu, cuda, cuda:N, mps): qgis_process, models and batch runs pass it as text.
In the algorithm dialog it is shown as a list of the devices this machine has, with a line saying what
auto means here and a warning when CUDA is chosen without a usable GPU (plugin/gui/device_wrapper.py,
named by a string so that qgis_process never imports the GUI).
"""

from qgis.core import QgsProcessingParameterString

from .declarations import Declared

WRAPPER = __package__.rsplit(".", 1)[0] + ".gui.device_wrapper.DeviceWidgetWrapper"
TITLE = "Device (auto, cpu, cuda, cuda:N, mps)"
COMMON_HELP = ("auto follows the default device of Settings › Options › Epitome (itself auto by default: the first "
               "CUDA GPU when PyTorch sees one, else the Apple GPU (mps) of an Apple-silicon Mac, else the CPU). The "
               "dialog lists the devices found on this machine; cuda or mps without such a GPU falls back to the CPU "
               "with a warning. Every device computes in full 32-bit precision.")


def make_device_parameter(name, title):
    p = QgsProcessingParameterString(name, title, "auto")
    p.setMetadata({"widget_wrapper": {"class": WRAPPER}})
    return p


def device_parameter(extra_help="", advanced=True):
    """The DEVICE declaration (params.Declared): COMMON_HELP plus what is particular to the algorithm."""
    return Declared("DEVICE", TITLE, COMMON_HELP + (" " + extra_help if extra_help else ""), make_device_parameter,
                    advanced=advanced)
