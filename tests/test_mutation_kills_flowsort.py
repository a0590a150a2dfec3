"""Tests that kill surviving mutants of :mod:`innexport.core.flowsort` (scripts/mutation.py, issue 14).

Each test pins a behaviour that a mutant of FlowSort changed without the other tests noticing:
values are worked out by hand from the definitions of FlowSort with central profiles (Nemery &
Lamboray 2008, "FlowSort: a flow-based sorting method with limiting or central profiles", TOP
16:90-113: net flows in each alternative's reference set, the class of the closest profile flow) and of
the PROMETHEE linear preference function (Brans & Vincke 1985). The equivalent mutants (those no
test can notice) are in tests/mutation_equivalents.toml with their reasons.
"""

from __future__ import annotations

import numpy as np

from innexport.core.flowsort import PreferenceFunction, _closest, flowsort, net_flow_sort


def test_closest_breaks_a_tie_to_the_better_or_the_worse_centre_and_only_within_tolerance() -> None:
    # 0.25 is exactly half-way between the centres 0.5 (index 0) and 0.0 (index 1)
    centres = np.array([[0.5, 0.5], [0.0, 0.0], [-0.5, -0.5]])
    values = np.array([0.25, 0.25 - 1e-6])  # the second is closer to 0.0 by 2e-6 > tolerance 1e-9
    assert _closest(values, centres).tolist() == [0, 1]
    assert _closest(values, centres, "worse").tolist() == [1, 1]


# One criterion, three central profiles 0.8 > 0.5 > 0.2, the linear function without indifference
# (p = 0.25): N_h(a) = clip((a - r_h) / 0.25, -1, 1), φ(a) = Σ_h N_h(a) / 3 and
# φ(r_h) = (Σ_g [P(r_h - r_g) - P(r_g - r_h)] - N_h(a)) / 3, the profile sums being 2, 0, -2.
PROFILES = np.array([[0.8], [0.5], [0.2]])
LINEAR = PreferenceFunction("linear", 0.0, 0.25)


def test_net_flow_sort_sends_an_exact_tie_to_the_better_class_by_default() -> None:
    # a = 0.65: N = (-0.6, 0.6, 1), φ(a) = 1/3; φ(r) = (2.6, -0.6, -3) / 3 = (0.867, -0.2, -1):
    # 1/3 is 0.533 from both r_0 and r_1. a = 0.35, by symmetry, is 0.533 from r_1 and r_2.
    filled = np.array([[0.65], [0.35]])
    net, default = net_flow_sort(filled, np.array([[1.0]]), PROFILES, LINEAR)
    np.testing.assert_allclose(net[:, 0], [1 / 3, -1 / 3], rtol=0, atol=1e-12)
    assert default[:, 0].tolist() == [0, 1]
    assert net_flow_sort(filled, np.array([[1.0]]), PROFILES, LINEAR, "worse")[1][:, 0].tolist() == [1, 2]
    assert flowsort(filled, PROFILES, np.array([1.0]), LINEAR).classes.tolist() == [0, 1]


def test_net_flow_sort_classes_are_the_smallest_signed_type_that_holds_every_class() -> None:
    one = np.array([[1.0]])
    cls = net_flow_sort(np.array([[0.65], [0.1]]), one, PROFILES, LINEAR)[1]
    assert cls.dtype == np.int8 and cls[:, 0].tolist() == [0, 2]
    for k, dtype in ((127, np.int8), (200, np.int16)):
        # k equally spaced profiles 1 ... 0; with p far below their spacing each alternative sitting on
        # a profile is assigned to that profile's class (the worst is k - 1: 126, then 199)
        profiles = np.linspace(1.0, 0.0, k)[:, None]
        steep = PreferenceFunction("linear", 0.0, 1e-4)
        rows = np.array([0, k // 2, k - 1])
        cls = net_flow_sort(profiles[rows], one, profiles, steep)[1]
        assert cls.dtype == dtype
        assert cls[:, 0].tolist() == rows.tolist()
