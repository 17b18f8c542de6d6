/* simdkit_boundary_floor: the physical floor of a small Python call (issue 17).
 *
 * Two functions that do the least any function taking one NumPy array and
 * returning a NumPy result can do, in plain CPython with NumPy's C API and no
 * binding library: METH_FASTCALL (no argument tuple), the argument checked to
 * be exactly a numpy.ndarray of native float32 with at least one element, its
 * first element read, and the result made the way simdkit makes its own.
 *
 *   scalar(x) -> numpy.float32   x[0], through PyArray_Scalar
 *   array(x)  -> numpy.ndarray   a new 1-element float32 array holding x[0],
 *                                through PyArray_NewFromDescr
 *
 * benchmarks/boundary.py (perfreport/boundary.py) times them beside every
 * public simdkit function on the same inputs; simdkit's ns per call over
 * these is the ratio issue 17 holds each entry point to. The float32
 * descriptor is looked up once, at import, as simdkit's bindings do, so that
 * neither function allocates anything but its result. Built with the
 * benchmarks (benchmarks/CMakeLists.txt), next to simdkit_benchmarks.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <string.h>

/* numpy.dtype('float32'), held for the life of the process. */
static PyArray_Descr *float32_descr = NULL;

/* The one float32 element the floor reads: 1 with *value set, or 0 with a
 * Python exception set. The checks are the ones without which reading the
 * element would be wrong; anything else (a subclass, another dtype, a
 * keyword) is refused rather than converted, as simdkit's fast path hands
 * anything else to its general path. */
static int first_float32(const char *name, PyObject *const *args, Py_ssize_t nargs, float *value)
{
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly one argument (%zd given)", name, nargs);
        return 0;
    }
    if (Py_TYPE(args[0]) != &PyArray_Type) {
        PyErr_Format(PyExc_TypeError, "%s(): x must be a numpy.ndarray, not %.200s", name,
                     Py_TYPE(args[0])->tp_name);
        return 0;
    }
    PyArrayObject *x = (PyArrayObject *)args[0];
    if (PyArray_TYPE(x) != NPY_FLOAT32 || !PyArray_ISNOTSWAPPED(x)) {
        PyErr_Format(PyExc_TypeError, "%s(): x must have dtype float32 in native byte order", name);
        return 0;
    }
    if (PyArray_SIZE(x) < 1) {
        PyErr_Format(PyExc_ValueError, "%s(): x has no element", name);
        return 0;
    }
    /* Any alignment: memcpy reads it where a float load could not. */
    memcpy(value, PyArray_DATA(x), sizeof *value);
    return 1;
}

static PyObject *floor_scalar(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    float value;
    if (!first_float32("scalar", args, nargs, &value)) {
        return NULL;
    }
    /* PyArray_Scalar copies the value; no reference to the descriptor is taken. */
    return PyArray_Scalar(&value, float32_descr, NULL);
}

static PyObject *floor_array(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    float value;
    if (!first_float32("array", args, nargs, &value)) {
        return NULL;
    }
    npy_intp one = 1;
    /* PyArray_NewFromDescr steals a reference to the descriptor. */
    Py_INCREF(float32_descr);
    PyObject *result = PyArray_NewFromDescr(&PyArray_Type, float32_descr, 1, &one, NULL, NULL, 0, NULL);
    if (result == NULL) {
        return NULL;
    }
    memcpy(PyArray_DATA((PyArrayObject *)result), &value, sizeof value);
    return result;
}

static PyMethodDef floor_methods[] = {
    {"scalar", (PyCFunction)(void (*)(void))floor_scalar, METH_FASTCALL,
     "scalar(x, /)\n--\n\nx[0] as a numpy.float32 (x: a non-empty numpy.ndarray of float32): the least a "
     "function returning a NumPy scalar can cost."},
    {"array", (PyCFunction)(void (*)(void))floor_array, METH_FASTCALL,
     "array(x, /)\n--\n\nA new 1-element float32 array holding x[0]: the least a function returning a new "
     "array can cost."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef floor_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "simdkit_boundary_floor",
    .m_doc = "The floor of a small Python call taking one ndarray (benchmarks/boundary_floor.c): scalar(x) "
             "returns a numpy.float32, array(x) a new 1-element array.",
    .m_size = -1,
    .m_methods = floor_methods,
};

PyMODINIT_FUNC PyInit_simdkit_boundary_floor(void)
{
    import_array();  /* returns NULL with the ImportError set if NumPy cannot be loaded */
    if (float32_descr == NULL) {
        float32_descr = PyArray_DescrFromType(NPY_FLOAT32);
        if (float32_descr == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&floor_module);
}
